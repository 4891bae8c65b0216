/* rule_kw_pcre: pcre:"/re/flags" with PCRE2 (JIT when available).
 * Flags: i s m x A E G (PCRE options), R (relative to the previous match),
 * O B (accepted), and the buffer letters of Suricata: U I P Q H D M C S Y V W Z.
 * The compiled code is recorded in the load so det_engine_free() frees it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

static int pcre_buffer_flag(char f, enum det_buf *b)
{
    switch (f) {
    case 'U': *b = DET_BUF_HTTP_URI; return 0;
    case 'I': *b = DET_BUF_HTTP_URI_RAW; return 0;
    case 'P': *b = DET_BUF_HTTP_REQ_BODY; return 0;
    case 'Q': *b = DET_BUF_HTTP_RESP_BODY; return 0;
    case 'H': *b = DET_BUF_HTTP_HEADER; return 0;
    case 'D': *b = DET_BUF_HTTP_HEADER_RAW; return 0;
    case 'M': *b = DET_BUF_HTTP_METHOD; return 0;
    case 'C': *b = DET_BUF_HTTP_COOKIE; return 0;
    case 'S': *b = DET_BUF_HTTP_STAT_CODE; return 0;
    case 'Y': *b = DET_BUF_HTTP_STAT_MSG; return 0;
    case 'V': *b = DET_BUF_HTTP_UA; return 0;
    case 'W': *b = DET_BUF_HTTP_HOST; return 0;
    case 'Z': *b = DET_BUF_HTTP_HOST_RAW; return 0;
    }
    return -1;
}

int rule_kw_pcre_keep(struct rule_parse_env *env, void *code)
{
    if (env->npcres == env->cappcres) {
        size_t cap = env->cappcres ? env->cappcres * 2 : 256;
        void **n = realloc(env->pcres, cap * sizeof(*n));
        if (n == NULL)
            return DET_ERR_NOMEM;
        env->pcres = n;
        env->cappcres = cap;
    }
    env->pcres[env->npcres++] = code;
    return 0;
}

static int kw_pcre(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                   size_t errlen)
{
    (void)kw;
    bool neg = false;
    while (*arg == ' ')
        arg++;
    if (*arg == '!') {
        neg = true;
        arg++;
    }
    size_t n = strlen(arg);
    if (n >= 2 && arg[0] == '"') {
        /* the closing quote is the last one (Suricata's ",alert:..." suffix sits inside) */
        const char *q = strrchr(arg, '"');
        if (q == arg) {
            snprintf(err, errlen, "unbalanced quotes");
            return DET_ERR_PARSE;
        }
        arg++;
        n = (size_t)(q - arg);
    }
    if (n < 2 || arg[0] != '/') {
        snprintf(err, errlen, "expected \"/regex/flags\"");
        return DET_ERR_PARSE;
    }
    const char *end = NULL;
    for (size_t i = n; i > 1; i--)
        if (arg[i - 1] == '/') {
            end = arg + i - 1;
            break;
        }
    if (end == NULL || end == arg) {
        snprintf(err, errlen, "regex not closed by '/'");
        return DET_ERR_PARSE;
    }
    uint32_t opts = 0;
    bool rel = false;
    enum det_buf b = rule_pctx_sticky(pc);
    bool buf_flag = false;
    for (const char *f = end + 1; f < arg + n && *f != ','; f++) {
        enum det_buf fb;
        switch (*f) {
        case 'i': opts |= PCRE2_CASELESS; break;
        case 's': opts |= PCRE2_DOTALL; break;
        case 'm': opts |= PCRE2_MULTILINE; break;
        case 'x': opts |= PCRE2_EXTENDED; break;
        case 'A': opts |= PCRE2_ANCHORED; break;
        case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
        case 'G': opts |= PCRE2_UNGREEDY; break;
        case 'R': rel = true; break;
        case 'O': case 'B': case ' ': break;
        default:
            if (pcre_buffer_flag(*f, &fb) != 0) {
                snprintf(err, errlen, "unknown flag '%c'", *f);
                return DET_ERR_PARSE;
            }
            if (fb == DET_BUF_HTTP_RESP_BODY && rule_pctx_sticky(pc) == DET_BUF_FILE_DATA)
                fb = DET_BUF_FILE_DATA;
            if (rule_pctx_has_sticky(pc) && rule_pctx_sticky(pc) != DET_BUF_PAYLOAD && rule_pctx_sticky(pc) != fb) {
                snprintf(err, errlen, "flag '%c' conflicts with the sticky buffer %s", *f,
                         det_buf_name(rule_pctx_sticky(pc)));
                return DET_ERR_INVAL;
            }
            b = fb;
            buf_flag = true;
        }
    }
    if (rel && !buf_flag)
        b = rule_pctx_relative_buf(pc);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(arg + 1), (PCRE2_SIZE)(end - arg - 1), opts, &ec, &eo, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(err, errlen, "at offset %zu: %s", (size_t)eo, (char *)msg);
        return DET_ERR_PARSE;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (rule_kw_pcre_keep(rule_pctx_env(pc), code) != 0) {
        pcre2_code_free(code);
        return DET_ERR_NOMEM;
    }
    struct det_sm *sm = rule_pctx_add_sm(pc, b, DET_SM_PCRE);
    if (sm == NULL) {
        snprintf(err, errlen, "too many matches in one rule");
        return DET_ERR_LIMIT;
    }
    sm->u.re.code = code;
    sm->flags = (uint16_t)((rel ? DET_PCRE_RELATIVE : 0) | (neg ? DET_PCRE_NEGATED : 0));
    return 0;
}

const struct rule_kw rule_kw_pcre_table[] = {
    { "pcre", kw_pcre, RULE_KW_ARG, 0 },
    { NULL, NULL, 0, 0 },
};
