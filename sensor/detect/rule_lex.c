/* rule_lex: splits one Suricata rule into its seven header words and its
 * options, without interpreting either.
 *
 * Header words are separated by blanks except inside [...] lists. Options
 * run from the first '(' to the last ')'; each ends at a ';' that is not
 * escaped with '\' (Suricata's rule: a quoted value does not protect ';').
 * Values are kept raw (escapes intact); each keyword unescapes its own.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

static char *lex_skip_ws(char *s)
{
    while (*s != '\0' && isspace((unsigned char)*s))
        s++;
    return s;
}

/* Next header word: respects [...] nesting. Returns NULL at the end. */
static char *lex_word(char **cur)
{
    char *s = lex_skip_ws(*cur);
    if (*s == '\0')
        return NULL;
    char *start = s;
    int depth = 0;
    while (*s != '\0') {
        if (*s == '[')
            depth++;
        else if (*s == ']' && depth > 0)
            depth--;
        else if (depth == 0 && isspace((unsigned char)*s))
            break;
        s++;
    }
    if (*s != '\0')
        *s++ = '\0';
    *cur = s;
    return start;
}

static void lex_rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

static int lex_options(char *s, struct rule_lexed *out, char *err, size_t errlen)
{
    for (;;) {
        s = lex_skip_ws(s);
        if (*s == '\0')
            return 0;
        if (out->nopts >= RULE_MAX_OPTS) {
            snprintf(err, errlen, "more than %d options", RULE_MAX_OPTS);
            return DET_ERR_LIMIT;
        }
        char *start = s;
        char *colon = NULL;
        while (*s != '\0' && *s != ';') {
            if (*s == '\\' && s[1] != '\0') {
                s += 2;
                continue;
            }
            if (*s == ':' && colon == NULL)
                colon = s;
            s++;
        }
        if (*s != ';') {
            snprintf(err, errlen, "option \"%.40s\" is not terminated by ';'", start);
            return DET_ERR_PARSE;
        }
        *s++ = '\0';
        struct rule_opt *o = &out->opts[out->nopts];
        o->value = NULL;
        o->negated = false;
        if (colon != NULL) {
            *colon = '\0';
            char *v = lex_skip_ws(colon + 1);
            lex_rtrim(v);
            o->value = v;
            o->negated = v[0] == '!';
        }
        lex_rtrim(start);
        o->name = start;
        if (start[0] == '\0') {
            snprintf(err, errlen, "empty option name");
            return DET_ERR_PARSE;
        }
        for (const char *c = start; *c != '\0'; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-') {
                snprintf(err, errlen, "bad option name \"%.40s\"", start);
                return DET_ERR_PARSE;
            }
        out->nopts++;
    }
}

int rule_lex(const char *text, struct rule_lexed *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->buf = strdup(text);
    if (out->buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return DET_ERR_NOMEM;
    }
    char *open = strchr(out->buf, '(');
    char *close = strrchr(out->buf, ')');
    if (open == NULL || close == NULL || close < open) {
        snprintf(err, errlen, "no option list in parentheses");
        return DET_ERR_PARSE;
    }
    char *tail = lex_skip_ws(close + 1);
    if (*tail != '\0') {
        snprintf(err, errlen, "text after the closing parenthesis");
        return DET_ERR_PARSE;
    }
    *open = '\0';
    *close = '\0';
    char *cur = out->buf;
    const char **w[7] = { &out->action, &out->proto, &out->src, &out->sp,
                          &out->dir, &out->dst, &out->dp };
    for (int i = 0; i < 7; i++) {
        *w[i] = lex_word(&cur);
        if (*w[i] == NULL) {
            snprintf(err, errlen, "the header has %d words, not 7 (action proto src port dir dst port)", i);
            return DET_ERR_PARSE;
        }
    }
    if (lex_word(&cur) != NULL) {
        snprintf(err, errlen, "the header has more than 7 words");
        return DET_ERR_PARSE;
    }
    return lex_options(open + 1, out, err, errlen);
}

void rule_lex_fini(struct rule_lexed *l)
{
    if (l == NULL)
        return;
    free(l->buf);
    l->buf = NULL;
}
