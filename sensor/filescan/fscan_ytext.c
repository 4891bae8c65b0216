/* fscan_ytext: YARA rule sources as text, for fscan_yara: where each rule
 * block starts and ends (so a broken rule can be blanked and the rest of
 * its file kept), a source with its includes expanded and its imports left
 * out (the stream-head set), and the rule files of a directory. Comments,
 * strings and regexes are skipped, so braces and keywords inside them do
 * not count. No libyara here; nothing runs on the packet path.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "filescan/fscan_ytext.h"

/* as deep as YARA itself lets includes nest */
#define FSCAN_YTEXT_MAX_INCLUDE_DEPTH 16

static bool fscan_ytext_word_at(const char *s, size_t i, size_t n, const char *w)
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
static size_t fscan_ytext_skip(const char *s, size_t i, size_t n, int *line, char prev)
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

/* The last significant character before s[i+1], as the regex cue of
 * fscan_ytext_skip: "matches /re/" gives 's', "= /re/" gives '='. */
static char fscan_ytext_prev(const char *s, size_t i, size_t n, char prev)
{
    char ch = s[i];

    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
        return prev;
    if (ch == 's')
        return i >= 6 && fscan_ytext_word_at(s, i - 6, n, "matches") ? 's' : 'x';
    return ch;
}

/* Find the rule blocks of a source text. Returns how many there are; at
 * most max are written to b (b may be NULL to count them). */
int fscan_ytext_blocks(const char *s, size_t n, struct fscan_ytext_block *b, int max)
{
    int nb = 0, line = 1, depth = 0, start_line = 0;
    size_t start = 0;
    bool pending = false, in_rule = false, global = false;
    char prev = 0;

    for (size_t i = 0; i < n;) {
        size_t k = fscan_ytext_skip(s, i, n, &line, prev);
        if (k != i) {
            prev = '"';
            i = k;
            continue;
        }
        char ch = s[i];
        if (ch == '\n')
            line++;
        if (!in_rule && depth == 0 &&
            (fscan_ytext_word_at(s, i, n, "private") || fscan_ytext_word_at(s, i, n, "global") ||
             fscan_ytext_word_at(s, i, n, "rule"))) {
            if (!pending) {
                pending = true;
                global = false;
                start = i;
                start_line = line;
            }
            if (fscan_ytext_word_at(s, i, n, "global"))
                global = true;
            if (fscan_ytext_word_at(s, i, n, "rule")) {
                in_rule = true;
                if (b != NULL && nb < max) {
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
                if (b != NULL && nb < max) {
                    b[nb].start = start;
                    b[nb].end = i;
                    b[nb].line0 = start_line;
                    b[nb].line1 = line;
                    b[nb].global = global;
                }
                nb++;
                in_rule = pending = false;
            }
        }
        prev = fscan_ytext_prev(s, i, n, prev);
        i++;
    }
    return nb;
}

char *fscan_ytext_read(const char *path, size_t *len)
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

struct fscan_ytext_buf {
    char *p;
    size_t len, cap;
    bool nomem;
};

static void fscan_ytext_put(struct fscan_ytext_buf *b, const char *s, size_t n)
{
    if (b->nomem || n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->nomem = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Add a module name to the list "pe, math" (once). */
static void fscan_ytext_add_module(char *mods, size_t cap, const char *name, size_t n)
{
    size_t l = strlen(mods);

    for (const char *p = mods; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 2 : 0))
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return;
    snprintf(mods + l, cap - l, "%s%.*s", l ? ", " : "", (int)n, name);
}

/* Append a source to out with its includes expanded in place (a relative
 * path from the including file's directory, as YARA resolves it) and its
 * import statements left out; the modules go to mods. text: the source
 * (NULL: read it from path). -1 when a file cannot be read or includes nest
 * too deep. */
static int fscan_ytext_flatten_at(const char *path, const char *text, int depth,
                                  struct fscan_ytext_buf *out, char *mods, size_t modcap)
{
    char *own = NULL;
    size_t n = 0, i = 0, from = 0;
    int line = 1, braces = 0, rc = 0;
    char prev = 0;

    if (depth > FSCAN_YTEXT_MAX_INCLUDE_DEPTH)
        return -1;
    if (text == NULL && (text = own = fscan_ytext_read(path, &n)) == NULL)
        return -1;
    if (own == NULL)
        n = strlen(text);
    while (i < n) {
        size_t k = fscan_ytext_skip(text, i, n, &line, prev);
        if (k != i) {
            prev = '"';
            i = k;
            continue;
        }
        bool inc = braces == 0 && fscan_ytext_word_at(text, i, n, "include");
        if (inc || (braces == 0 && fscan_ytext_word_at(text, i, n, "import"))) {
            size_t j = i + (inc ? 7 : 6), q;
            while (j < n && (text[j] == ' ' || text[j] == '\t'))
                j++;
            for (q = j + 1; j < n && text[j] == '"' && q < n && text[q] != '"' && text[q] != '\n'; q++)
                ;
            if (j < n && text[j] == '"' && q < n && text[q] == '"') {
                fscan_ytext_put(out, text + from, i - from);
                if (inc) {
                    const char *slash = strrchr(path, '/');
                    char p[4096];
                    int dl = slash != NULL && text[j + 1] != '/' ? (int)(slash - path) : -1;
                    snprintf(p, sizeof(p), "%.*s%s%.*s", dl > 0 ? dl : 0, path,
                             dl >= 0 ? "/" : "", (int)(q - j - 1), text + j + 1);
                    if ((rc = fscan_ytext_flatten_at(p, NULL, depth + 1, out, mods, modcap)) != 0)
                        goto out;
                } else {
                    fscan_ytext_add_module(mods, modcap, text + j + 1, q - j - 1);
                }
                i = from = q + 1;
                prev = '"';
                continue;
            }
        }
        if (text[i] == '\n')
            line++;
        else if (text[i] == '{')
            braces++;
        else if (text[i] == '}' && braces > 0)
            braces--;
        prev = fscan_ytext_prev(text, i, n, prev);
        i++;
    }
    fscan_ytext_put(out, text + from, n - from);
    fscan_ytext_put(out, "\n", 1);   /* the next included file starts a line */
out:
    free(own);
    return rc;
}

static int fscan_ytext_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void fscan_ytext_expand(const char *path, char **out, size_t *n, int depth)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    size_t first = *n;

    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode) || depth > 8) {
        if (*n < FSCAN_YTEXT_MAX_FILES)
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
            fscan_ytext_expand(p, out, n, depth + 1);
        else if (((l > 4 && strcasecmp(de->d_name + l - 4, ".yar") == 0) ||
                  (l > 5 && strcasecmp(de->d_name + l - 5, ".yara") == 0)) &&
                 *n < FSCAN_YTEXT_MAX_FILES)
            out[(*n)++] = strdup(p);
    }
    closedir(d);
    qsort(out + first, *n - first, sizeof(char *), fscan_ytext_cmp);
}

char *fscan_ytext_flatten(const char *path, const char *text, char *mods, size_t modcap)
{
    struct fscan_ytext_buf b = { 0 };

    if (fscan_ytext_flatten_at(path, text, 0, &b, mods, modcap) != 0 || b.nomem || b.p == NULL) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
