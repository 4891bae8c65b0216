/* rule_kw_flow: flow (direction and state, kept as rule flags that the
 * header check tests first), flowbits (set unset toggle isset isnotset
 * noalert; '|' means any, '&' all) and app-layer-protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

static int kw_flow(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    (void)kw;
    char buf[128];
    if (strlen(arg) >= sizeof(buf)) {
        snprintf(err, errlen, "value too long");
        return DET_ERR_PARSE;
    }
    strcpy(buf, arg);
    struct det_rule *r = rule_pctx_rule(pc);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        const char *o = rule_kw_trim(t);
        if (strcmp(o, "to_server") == 0 || strcmp(o, "from_client") == 0)
            r->flags |= DET_RF_TO_SERVER;
        else if (strcmp(o, "to_client") == 0 || strcmp(o, "from_server") == 0)
            r->flags |= DET_RF_TO_CLIENT;
        else if (strcmp(o, "established") == 0)
            r->flags |= DET_RF_ESTABLISHED;
        else if (strcmp(o, "not_established") == 0)
            r->flags |= DET_RF_NOT_EST;
        else if (strcmp(o, "only_stream") == 0)
            r->flags |= DET_RF_ONLY_STREAM;
        else if (strcmp(o, "no_stream") == 0)
            r->flags |= DET_RF_NO_STREAM;
        else if (strcmp(o, "stateless") == 0 || strcmp(o, "only_frag") == 0 || strcmp(o, "no_frag") == 0)
            ;
        else {
            snprintf(err, errlen, "unknown option \"%.24s\"", o);
            return DET_ERR_PARSE;
        }
    }
    if ((r->flags & DET_RF_ESTABLISHED) && (r->flags & DET_RF_NOT_EST)) {
        snprintf(err, errlen, "established and not_established");
        return DET_ERR_INVAL;
    }
    if ((r->flags & DET_RF_ONLY_STREAM) && (r->flags & DET_RF_NO_STREAM)) {
        snprintf(err, errlen, "only_stream and no_stream");
        return DET_ERR_INVAL;
    }
    r->flags |= DET_RF_HAS_FLOW_KW;
    return 0;
}

static int kw_flowbits(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                       size_t errlen)
{
    (void)kw;
    char buf[512];
    if (strlen(arg) >= sizeof(buf)) {
        snprintf(err, errlen, "value too long");
        return DET_ERR_PARSE;
    }
    strcpy(buf, arg);
    char *comma = strchr(buf, ',');
    if (comma != NULL)
        *comma = '\0';
    const char *cmd = rule_kw_trim(buf);
    struct det_fbop op = { 0 };
    if (strcmp(cmd, "noalert") == 0 && comma == NULL) {
        rule_pctx_rule(pc)->flags |= DET_RF_NOALERT;
        return 0;
    }
    if (strcmp(cmd, "set") == 0) op.cmd = DET_FB_SET;
    else if (strcmp(cmd, "unset") == 0) op.cmd = DET_FB_UNSET;
    else if (strcmp(cmd, "toggle") == 0) op.cmd = DET_FB_TOGGLE;
    else if (strcmp(cmd, "isset") == 0) op.cmd = DET_FB_ISSET;
    else if (strcmp(cmd, "isnotset") == 0) op.cmd = DET_FB_ISNOTSET;
    else {
        snprintf(err, errlen, "unknown command \"%.24s\"", cmd);
        return DET_ERR_PARSE;
    }
    if (comma == NULL) {
        snprintf(err, errlen, "%s needs a name", cmd);
        return DET_ERR_PARSE;
    }
    char *names = (char *)rule_kw_trim(comma + 1);
    /* a second comma carries a group name in newer Suricata; not ours */
    if (strchr(names, ',') != NULL) {
        snprintf(err, errlen, "flowbit groups are not supported");
        return DET_ERR_INVAL;
    }
    bool has_or = strchr(names, '|') != NULL, has_and = strchr(names, '&') != NULL;
    if (has_or && has_and) {
        snprintf(err, errlen, "mixing '|' and '&'");
        return DET_ERR_PARSE;
    }
    op.and_op = has_and || !has_or;
    char *save = NULL;
    for (char *t = strtok_r(names, "|&", &save); t != NULL; t = strtok_r(NULL, "|&", &save)) {
        const char *nm = rule_kw_trim(t);
        if (*nm == '\0')
            continue;
        if (op.n >= sizeof(op.bit) / sizeof(op.bit[0])) {
            snprintf(err, errlen, "too many names");
            return DET_ERR_LIMIT;
        }
        int bit = rule_pctx_flowbit(pc, nm, err, errlen);
        if (bit < 0)
            return DET_ERR_LIMIT;
        op.bit[op.n++] = (uint16_t)bit;
    }
    if (op.n == 0) {
        snprintf(err, errlen, "empty name");
        return DET_ERR_PARSE;
    }
    if (rule_pctx_add_fbop(pc, &op) != 0) {
        snprintf(err, errlen, "too many flowbits in one rule");
        return DET_ERR_LIMIT;
    }
    return 0;
}

/* app-layer-protocol:[!]name[,to_server|to_client] */
struct alp_data {
    uint8_t app;
    bool neg;
    int8_t dir;   /* 0 either, 1 to_server, 2 to_client */
    bool failed, unknown;
};

static bool alp_match(const void *data, const struct det_input *in)
{
    const struct alp_data *d = data;
    enum det_app a = in->app;
    if (d->dir == 1 && in->app_ts != DET_APP_UNKNOWN)
        a = in->app_ts;
    else if (d->dir == 2 && in->app_tc != DET_APP_UNKNOWN)
        a = in->app_tc;
    bool m;
    if (d->failed || d->unknown)
        m = a == DET_APP_UNKNOWN;
    else
        m = a == d->app;
    return m != d->neg;
}

static int kw_alp(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    (void)kw;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", arg);
    struct alp_data *d = det_arena_alloc(rule_pctx_arena(pc), sizeof(*d));
    if (d == NULL)
        return DET_ERR_NOMEM;
    char *comma = strchr(buf, ',');
    if (comma != NULL) {
        *comma = '\0';
        const char *dir = rule_kw_trim(comma + 1);
        if (strcmp(dir, "to_server") == 0)
            d->dir = 1;
        else if (strcmp(dir, "to_client") == 0)
            d->dir = 2;
        else {
            snprintf(err, errlen, "unknown option \"%.20s\"", dir);
            return DET_ERR_PARSE;
        }
    }
    char *name = (char *)rule_kw_trim(buf);
    if (*name == '!') {
        d->neg = true;
        name = (char *)rule_kw_trim(name + 1);
    }
    if (strcmp(name, "failed") == 0)
        d->failed = true;
    else if (strcmp(name, "unknown") == 0)
        d->unknown = true;
    else if ((d->app = (uint8_t)det_app_from_name(name)) == DET_APP_UNKNOWN) {
        snprintf(err, errlen, "unknown protocol \"%.20s\"", name);
        return DET_ERR_NOENT;
    }
    rule_pctx_rule(pc)->flags |= DET_RF_HAS_ALP;
    return rule_pctx_add_pm(pc, alp_match, d);
}

const struct rule_kw rule_kw_flow_table[] = {
    { "flow", kw_flow, RULE_KW_ARG, 0 },
    { "flowbits", kw_flowbits, RULE_KW_ARG, 0 },
    { "app-layer-protocol", kw_alp, RULE_KW_ARG, 0 },
    { NULL, NULL, 0, 0 },
};
