/* rule_kw_meta: the keywords that describe a rule rather than match:
 * msg sid rev gid classtype priority reference metadata target, plus
 * noalert and tag (accepted; tagging is not implemented, said in -T).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

/* Strip one pair of quotes and the \" \; \\ escapes, into the arena. */
static char *meta_unquote(struct rule_pctx *pc, const char *arg)
{
    size_t n = strlen(arg);
    if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
        arg++;
        n -= 2;
    }
    char *d = det_arena_alloc(rule_pctx_arena(pc), n + 1);
    if (d == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (arg[i] == '\\' && i + 1 < n && strchr("\";\\:|", arg[i + 1]) != NULL)
            i++;
        d[j++] = arg[i];
    }
    d[j] = '\0';
    return d;
}

static int kw_msg(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    (void)kw;
    (void)err;
    (void)errlen;
    char *m = meta_unquote(pc, arg);
    if (m == NULL)
        return DET_ERR_NOMEM;
    rule_pctx_rule(pc)->msg = m;
    return 0;
}

static int kw_u32(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    uint32_t v;
    if (rule_kw_parse_u32(arg, &v) != 0) {
        snprintf(err, errlen, "\"%.32s\" is not a number", arg);
        return DET_ERR_PARSE;
    }
    struct det_rule *r = rule_pctx_rule(pc);
    switch (kw->data) {
    case 0:
        if (v == 0) {
            snprintf(err, errlen, "sid 0 is not allowed");
            return DET_ERR_INVAL;
        }
        r->sid = v;
        break;
    case 1: r->rev = v; break;
    case 2: r->gid = v; break;
    case 3:
        if (v < 1 || v > 255) {
            snprintf(err, errlen, "priority must be 1..255");
            return DET_ERR_INVAL;
        }
        r->priority = (int)v;
        break;
    }
    return 0;
}

static int kw_classtype(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                        size_t errlen)
{
    (void)kw;
    int prio = 3;
    const char *desc = rule_pctx_classtype(pc, arg, &prio);
    if (desc == NULL) {
        snprintf(err, errlen, "unknown classtype \"%.40s\" (not in classification.config)", arg);
        return DET_ERR_NOENT;
    }
    struct det_rule *r = rule_pctx_rule(pc);
    r->category = desc;
    if (r->priority == 0 || r->priority == prio)
        r->priority = prio;
    return 0;
}

static int kw_reference(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                        size_t errlen)
{
    (void)kw;
    const char *comma = strchr(arg, ',');
    if (comma == NULL || comma == arg) {
        snprintf(err, errlen, "expected type,value");
        return DET_ERR_PARSE;
    }
    char type[32];
    size_t n = (size_t)(comma - arg);
    while (n > 0 && arg[n - 1] == ' ')
        n--;
    if (n >= sizeof(type)) {
        snprintf(err, errlen, "reference type too long");
        return DET_ERR_PARSE;
    }
    memcpy(type, arg, n);
    type[n] = '\0';
    if (!rule_pctx_reference_ok(pc, type)) {
        snprintf(err, errlen, "unknown reference type \"%s\" (not in reference.config)", type);
        return DET_ERR_NOENT;
    }
    return 0;
}

/* metadata: "key value, key value" -> {"key":["value",...],...} */
static int kw_metadata(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                       size_t errlen)
{
    (void)kw;
    struct det_rule *r = rule_pctx_rule(pc);
    size_t cap = strlen(arg) * 2 + 64 + (r->metadata ? strlen(r->metadata) : 0);
    char *out = malloc(cap), *tmp = strdup(arg);
    int rc = 0;
    if (out == NULL || tmp == NULL) {
        rc = DET_ERR_NOMEM;
        goto out;
    }
    /* keys in order of first appearance, values grouped */
    char *keys[64], *vals[64];
    int n = 0;
    char *save = NULL;
    for (char *it = strtok_r(tmp, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
        char *e = (char *)rule_kw_trim(it);
        if (*e == '\0')
            continue;
        char *sp = strchr(e, ' ');
        if (sp == NULL) {
            snprintf(err, errlen, "\"%.40s\" is not \"key value\"", e);
            rc = DET_ERR_PARSE;
            goto out;
        }
        *sp = '\0';
        if (n < 64) {
            keys[n] = e;
            vals[n] = (char *)rule_kw_trim(sp + 1);
            n++;
        }
    }
    size_t len = 0;
    out[len++] = '{';
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (keys[i] == NULL)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s\"%s\":[", first ? "" : ",", keys[i]);
        first = false;
        bool vfirst = true;
        for (int j = i; j < n; j++) {
            if (keys[j] == NULL || strcmp(keys[j], keys[i]) != 0)
                continue;
            out[len++] = vfirst ? '"' : ',';
            if (!vfirst)
                out[len++] = '"';
            vfirst = false;
            for (const char *c = vals[j]; *c != '\0' && len + 4 < cap; c++) {
                if (*c == '"' || *c == '\\')
                    out[len++] = '\\';
                if ((unsigned char)*c >= 0x20)
                    out[len++] = *c;
            }
            out[len++] = '"';
            if (j != i)
                keys[j] = NULL;
        }
        out[len++] = ']';
    }
    out[len++] = '}';
    out[len] = '\0';
    if (r->metadata != NULL && strcmp(r->metadata, "{}") != 0 && len > 2) {
        /* a second metadata keyword: merge the objects textually */
        size_t ol = strlen(r->metadata);
        char *m = det_arena_alloc(rule_pctx_arena(pc), ol + len + 2);
        if (m == NULL) {
            rc = DET_ERR_NOMEM;
            goto out;
        }
        memcpy(m, r->metadata, ol - 1);
        m[ol - 1] = ',';
        memcpy(m + ol, out + 1, len);
        r->metadata = m;
    } else if (r->metadata == NULL || len > 2) {
        r->metadata = det_arena_strndup(rule_pctx_arena(pc), out, len);
        if (r->metadata == NULL)
            rc = DET_ERR_NOMEM;
    }
out:
    free(out);
    free(tmp);
    return rc;
}

static int kw_target(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                     size_t errlen)
{
    (void)kw;
    struct det_rule *r = rule_pctx_rule(pc);
    if (strcmp(arg, "src_ip") == 0) {
        r->target = DET_TARGET_SRC;
    } else if (strcmp(arg, "dest_ip") == 0) {
        r->target = DET_TARGET_DST;
    } else {
        snprintf(err, errlen, "expected src_ip or dest_ip");
        return DET_ERR_PARSE;
    }
    return 0;
}

static int kw_noalert(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                      size_t errlen)
{
    (void)kw;
    (void)arg;
    (void)err;
    (void)errlen;
    rule_pctx_rule(pc)->flags |= DET_RF_NOALERT;
    return 0;
}

static int kw_ignored(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                      size_t errlen)
{
    (void)pc;
    (void)kw;
    (void)arg;
    (void)err;
    (void)errlen;
    return 0;
}

const struct rule_kw rule_kw_meta_table[] = {
    { "msg", kw_msg, RULE_KW_ARG, 0 },
    { "sid", kw_u32, RULE_KW_ARG, 0 },
    { "rev", kw_u32, RULE_KW_ARG, 1 },
    { "gid", kw_u32, RULE_KW_ARG, 2 },
    { "priority", kw_u32, RULE_KW_ARG, 3 },
    { "classtype", kw_classtype, RULE_KW_ARG, 0 },
    { "reference", kw_reference, RULE_KW_ARG, 0 },
    { "metadata", kw_metadata, RULE_KW_ARG, 0 },
    { "target", kw_target, RULE_KW_ARG, 0 },
    { "noalert", kw_noalert, RULE_KW_NOARG, 0 },
    { "tag", kw_ignored, RULE_KW_ARG, 0 },
    { NULL, NULL, 0, 0 },
};
