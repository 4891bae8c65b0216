/* rule_parse: one rule text -> struct det_rule, in the load's arena.
 *
 * The header is checked here (action, protocol, addresses, ports,
 * direction); each option goes to its keyword's setup through the table
 * (rule_kw.c). Setups add buffer matches in rule order, tagged with their
 * buffer; at the end they are grouped into one list per buffer, the fast
 * pattern is chosen (explicit fast_pattern, else the longest positive
 * content) and rules that can never match are rejected with a reason.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

#define PCTX_MAX_SM 192
#define PCTX_MAX_PM 32
#define PCTX_MAX_FB 16

struct rule_pctx {
    struct rule_parse_env *env;
    struct det_rule *r;
    enum det_buf sticky;
    bool has_sticky;
    uint64_t tc_bufs;      /* buffers given as "to_client" (transactional rules) */
    struct det_sm sm[PCTX_MAX_SM];
    uint8_t smbuf[PCTX_MAX_SM];
    int nsm;
    struct det_pmatch pm[PCTX_MAX_PM];
    int npm;
    struct det_fbop fb[PCTX_MAX_FB];
    int nfb;
    char vars[RULE_MAX_VARS][32];
    int nvars;
    bool has_sid;
};

/* ---- services for the keyword setups ---- */

struct det_sm *rule_pctx_add_sm(struct rule_pctx *pc, enum det_buf buf, enum det_sm_type type)
{
    if (pc->nsm >= PCTX_MAX_SM)
        return NULL;
    struct det_sm *sm = &pc->sm[pc->nsm];
    memset(sm, 0, sizeof(*sm));
    sm->type = (uint8_t)type;
    pc->smbuf[pc->nsm++] = (uint8_t)buf;
    return sm;
}

struct det_sm *rule_pctx_last_sm(struct rule_pctx *pc, int type, enum det_buf *buf)
{
    for (int i = pc->nsm - 1; i >= 0; i--)
        if (type < 0 || pc->sm[i].type == type) {
            if (buf != NULL)
                *buf = (enum det_buf)pc->smbuf[i];
            return &pc->sm[i];
        }
    return NULL;
}

enum det_buf rule_pctx_relative_buf(struct rule_pctx *pc)
{
    if (pc->has_sticky)
        return pc->sticky;
    for (int i = pc->nsm - 1; i >= 0; i--)
        if (pc->sm[i].type == DET_SM_CONTENT || pc->sm[i].type == DET_SM_PCRE ||
            pc->sm[i].type == DET_SM_BYTE_JUMP || pc->sm[i].type == DET_SM_BYTE_EXTRACT)
            return (enum det_buf)pc->smbuf[i];
    return DET_BUF_PAYLOAD;
}

int rule_pctx_move_last(struct rule_pctx *pc, enum det_buf to, char *err, size_t errlen)
{
    for (int i = pc->nsm - 1; i >= 0; i--)
        if (pc->sm[i].type == DET_SM_CONTENT) {
            if (pc->smbuf[i] != DET_BUF_PAYLOAD && pc->smbuf[i] != to) {
                snprintf(err, errlen, "content already belongs to %s", det_buf_name(pc->smbuf[i]));
                return DET_ERR_INVAL;
            }
            pc->smbuf[i] = (uint8_t)to;
            /* relative matches that followed it in the payload list go along */
            for (int j = i + 1; j < pc->nsm; j++)
                if (pc->smbuf[j] == DET_BUF_PAYLOAD)
                    pc->smbuf[j] = (uint8_t)to;
            return 0;
        }
    snprintf(err, errlen, "%s needs a preceding content", det_buf_table[to].modifier);
    return DET_ERR_INVAL;
}

int rule_pctx_add_pm(struct rule_pctx *pc, det_pmatch_fn fn, const void *data)
{
    if (pc->npm >= PCTX_MAX_PM)
        return DET_ERR_LIMIT;
    pc->pm[pc->npm++] = (struct det_pmatch){ fn, data };
    return 0;
}

void rule_pctx_set_sticky(struct rule_pctx *pc, enum det_buf b)
{
    pc->sticky = b;
    pc->has_sticky = true;
}

enum det_buf rule_pctx_sticky(const struct rule_pctx *pc)
{
    return pc->sticky;
}

bool rule_pctx_has_sticky(const struct rule_pctx *pc)
{
    return pc->has_sticky;
}

struct det_rule *rule_pctx_rule(struct rule_pctx *pc)
{
    return pc->r;
}

struct det_arena *rule_pctx_arena(struct rule_pctx *pc)
{
    return pc->env->arena;
}

int rule_pctx_flowbit(struct rule_pctx *pc, const char *name, char *err, size_t errlen)
{
    int b = rule_fbnames_get(pc->env->fbnames, name, strlen(name));
    if (b < 0)
        snprintf(err, errlen, "more than %d flowbit names", DET_FLOWBITS_MAX);
    return b;
}

int rule_pctx_var(struct rule_pctx *pc, const char *name, bool create)
{
    for (int i = 0; i < pc->nvars; i++)
        if (strcmp(pc->vars[i], name) == 0)
            return i;
    if (!create || pc->nvars >= RULE_MAX_VARS || strlen(name) >= sizeof(pc->vars[0]))
        return -1;
    strcpy(pc->vars[pc->nvars], name);
    return pc->nvars++;
}

int rule_pctx_add_fbop(struct rule_pctx *pc, const struct det_fbop *op)
{
    if (pc->nfb >= PCTX_MAX_FB)
        return DET_ERR_LIMIT;
    pc->fb[pc->nfb++] = *op;
    return 0;
}

const char *rule_pctx_classtype(struct rule_pctx *pc, const char *name, int *prio)
{
    const struct det_class *c = rule_class_find(pc->env->classes, name);
    if (c == NULL)
        return NULL;
    *prio = c->prio;
    return c->desc;
}

bool rule_pctx_reference_ok(struct rule_pctx *pc, const char *type)
{
    return rule_class_ref_known(pc->env->classes, type);
}

/* ---- header ---- */

static int parse_action(const char *s, struct det_rule *r, char *err, size_t errlen)
{
    static const struct { const char *n; uint8_t a; } acts[] = {
        { "alert", DET_ACTION_ALERT }, { "drop", DET_ACTION_DROP }, { "pass", DET_ACTION_PASS },
        { "reject", DET_ACTION_REJECT }, { "rejectsrc", DET_ACTION_REJECT },
        { "rejectdst", DET_ACTION_REJECT }, { "rejectboth", DET_ACTION_REJECT },
    };
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
        if (strcmp(s, acts[i].n) == 0) {
            r->action = acts[i].a;
            return 0;
        }
    snprintf(err, errlen, "unknown action \"%.32s\"", s);
    return DET_ERR_PARSE;
}

static int parse_proto(const char *s, struct det_rule *r, char *err, size_t errlen)
{
    if (strcmp(s, "ip") == 0 || strcmp(s, "pkthdr") == 0) {
        r->ipproto = 0;
    } else if (strcmp(s, "tcp") == 0 || strcmp(s, "tcp-stream") == 0) {
        r->ipproto = IPPROTO_TCP;
        if (s[3] == '-')
            r->flags |= DET_RF_ONLY_STREAM;
    } else if (strcmp(s, "tcp-pkt") == 0) {
        r->ipproto = IPPROTO_TCP;
        r->flags |= DET_RF_PKT_ONLY;
    } else if (strcmp(s, "udp") == 0) {
        r->ipproto = IPPROTO_UDP;
    } else if (strcmp(s, "icmp") == 0 || strcmp(s, "icmpv4") == 0) {
        r->ipproto = IPPROTO_ICMP;
    } else if (strcmp(s, "icmpv6") == 0) {
        r->ipproto = IPPROTO_ICMPV6;
    } else if (strcmp(s, "sctp") == 0) {
        r->ipproto = IPPROTO_SCTP;
    } else {
        enum det_app a = det_app_from_name(s);
        if (a == DET_APP_UNKNOWN) {
            snprintf(err, errlen, "unknown protocol \"%.32s\"", s);
            return DET_ERR_PARSE;
        }
        r->app = (uint8_t)a;
        /* dns, snmp, ntp, dhcp, sip, tftp, krb5, nfs run over UDP too */
        switch (a) {
        case DET_APP_DNS: case DET_APP_SNMP: case DET_APP_NTP: case DET_APP_DHCP:
        case DET_APP_SIP: case DET_APP_TFTP: case DET_APP_KRB5: case DET_APP_NFS:
            r->ipproto = 0;
            break;
        default:
            r->ipproto = IPPROTO_TCP;
        }
    }
    return 0;
}

static int parse_header(struct rule_parse_env *env, const struct rule_lexed *lx, struct det_rule *r,
                        char *err, size_t errlen)
{
    int rc;
    if ((rc = parse_action(lx->action, r, err, errlen)) != 0)
        return rc;
    if ((rc = parse_proto(lx->proto, r, err, errlen)) != 0)
        return rc;
    if (strcmp(lx->dir, "<>") == 0) {
        r->flags |= DET_RF_BIDIR;
    } else if (strcmp(lx->dir, "=>") == 0) {
        r->flags |= DET_RF_TX;
    } else if (strcmp(lx->dir, "->") != 0) {
        snprintf(err, errlen, "bad direction \"%.8s\" (-> or <>)", lx->dir);
        return DET_ERR_PARSE;
    }
    char e2[200];
    if ((rc = rule_vars_parse_addrs(env->vars, env->arena, lx->src, &r->src, e2, sizeof(e2))) != 0 ||
        (rc = rule_vars_parse_ports(env->vars, env->arena, lx->sp, &r->sp, e2, sizeof(e2))) != 0 ||
        (rc = rule_vars_parse_addrs(env->vars, env->arena, lx->dst, &r->dst, e2, sizeof(e2))) != 0 ||
        (rc = rule_vars_parse_ports(env->vars, env->arena, lx->dp, &r->dp, e2, sizeof(e2))) != 0) {
        snprintf(err, errlen, "header: %s", e2);
        return rc;
    }
    return 0;
}

/* ---- finishing: lists, fast pattern, checks ---- */

void rule_pctx_buf_side(struct rule_pctx *pc, enum det_buf b, bool to_client)
{
    if (to_client)
        pc->tc_bufs |= 1ull << b;
    else
        pc->tc_bufs &= ~(1ull << b);
}

/* The side of a buffer in a transactional rule: response buffers and those
 * marked "to_client" are inspected on the response. */
static uint8_t tx_side(const struct rule_pctx *pc, uint8_t b)
{
    switch (b) {
    case DET_BUF_HTTP_STAT_CODE:
    case DET_BUF_HTTP_STAT_MSG:
    case DET_BUF_HTTP_RESP_BODY:
    case DET_BUF_HTTP_LOCATION:
    case DET_BUF_HTTP_SERVER:
    case DET_BUF_HTTP_RESPONSE_LINE:
    case DET_BUF_JA3S_HASH:
        return DET_LDIR_TC;
    default:
        return (pc->tc_bufs >> b) & 1u ? DET_LDIR_TC : DET_LDIR_TS;
    }
}

/* Transactional rules: sides of the lists, checks, the hidden flowbit. */
static int finish_tx(struct rule_pctx *pc, char *err, size_t errlen)
{
    struct det_rule *r = pc->r;
    if (r->flags & (DET_RF_TO_SERVER | DET_RF_TO_CLIENT)) {
        snprintf(err, errlen, "a transactional rule (=>) takes no flow direction");
        return DET_ERR_INVAL;
    }
    for (uint16_t k = 0; k < r->nlist; k++) {
        if (r->lists[k].buf == DET_BUF_PAYLOAD) {
            snprintf(err, errlen, "a transactional rule (=>) inspects app-layer buffers only");
            return DET_ERR_INVAL;
        }
        r->lists[k].dir = tx_side(pc, r->lists[k].buf);
        r->tx_sides |= (uint8_t)(1u << r->lists[k].dir);
    }
    if (r->nlist == 0) {
        snprintf(err, errlen, "a transactional rule (=>) needs app-layer buffer matches");
        return DET_ERR_INVAL;
    }
    /* the prefilter must fire on the request: the response pass finds the
     * rule through its hidden flowbit, not through a request buffer */
    if ((r->tx_sides & (1u << DET_LDIR_TS)) && r->fp_list >= 0 && r->lists[r->fp_list].dir != DET_LDIR_TS) {
        uint32_t best = 0;
        r->fp_list = -1;
        r->fp_sm = -1;
        for (uint16_t k = 0; k < r->nlist; k++)
            for (uint16_t i = 0; r->lists[k].dir == DET_LDIR_TS && i < r->lists[k].nsm; i++) {
                const struct det_sm *sm = &r->lists[k].sm[i];
                if (sm->type == DET_SM_CONTENT && !(sm->flags & DET_CF_NEGATED) && sm->u.c.len > best) {
                    best = sm->u.c.len;
                    r->fp_list = (int8_t)k;
                    r->fp_sm = (int16_t)i;
                }
            }
    }
    char name[48];
    int n = snprintf(name, sizeof(name), "\x01tx:%u:%u", r->gid, r->sid);
    int bit = rule_fbnames_get(pc->env->fbnames, name, (size_t)n);
    if (bit < 0) {
        snprintf(err, errlen, "more than %d flowbits", DET_FLOWBITS_MAX);
        return DET_ERR_LIMIT;
    }
    r->tx_bit = (uint16_t)bit;
    return 0;
}

static int finish_lists(struct rule_pctx *pc, char *err, size_t errlen)
{
    struct det_rule *r = pc->r;
    uint8_t order[DET_BUF_MAX];
    uint16_t count[DET_BUF_MAX] = { 0 };
    int norder = 0;
    for (int i = 0; i < pc->nsm; i++) {
        if (count[pc->smbuf[i]]++ == 0)
            order[norder++] = pc->smbuf[i];
    }
    r->nlist = (uint16_t)norder;
    if (norder > 0 && (r->lists = det_arena_alloc(pc->env->arena, sizeof(*r->lists) * (size_t)norder)) == NULL)
        return DET_ERR_NOMEM;
    for (int k = 0; k < norder; k++) {
        struct det_list *l = &r->lists[k];
        l->buf = order[k];
        l->sm = det_arena_alloc(pc->env->arena, sizeof(struct det_sm) * count[order[k]]);
        if (l->sm == NULL)
            return DET_ERR_NOMEM;
        for (int i = 0; i < pc->nsm; i++)
            if (pc->smbuf[i] == order[k])
                l->sm[l->nsm++] = pc->sm[i];
        r->flags |= l->buf == DET_BUF_PAYLOAD ? DET_RF_HAS_PAYLOAD : DET_RF_HAS_APPBUF;
        enum det_app ba = det_buf_table[l->buf].app;
        if (ba != DET_APP_UNKNOWN) {
            if (r->app == DET_APP_UNKNOWN) {
                r->app = (uint8_t)ba;
            } else if (r->app != ba && !(r->app == DET_APP_HTTP && l->buf == DET_BUF_FILE_DATA)) {
                snprintf(err, errlen, "%s cannot be used in a %s rule", det_buf_name(l->buf),
                         det_app_name(r->app));
                return DET_ERR_INVAL;
            }
        }
        /* a relative first match is relative to the buffer start (Suricata does the same) */
    }
    /* fast pattern: explicit first, else the longest positive content */
    r->fp_list = -1;
    r->fp_sm = -1;
    uint32_t best = 0;
    for (int k = 0; k < norder; k++)
        for (int i = 0; i < r->lists[k].nsm; i++) {
            const struct det_sm *sm = &r->lists[k].sm[i];
            if (sm->type != DET_SM_CONTENT || (sm->flags & DET_CF_NEGATED))
                continue;
            if (sm->flags & DET_CF_FAST) {
                r->fp_list = (int8_t)k;
                r->fp_sm = (int16_t)i;
                return 0;
            }
            if (sm->u.c.len > best) {
                best = sm->u.c.len;
                r->fp_list = (int8_t)k;
                r->fp_sm = (int16_t)i;
            }
        }
    return 0;
}

static int finish_rule(struct rule_pctx *pc, char *err, size_t errlen)
{
    struct det_rule *r = pc->r;
    if (!pc->has_sid) {
        snprintf(err, errlen, "no sid");
        return DET_ERR_INVAL;
    }
    if (r->msg == NULL)
        r->msg = "";
    if (r->category == NULL)
        r->category = "";
    if (r->priority == 0)
        r->priority = 3;
    if (r->gid == 0)
        r->gid = 1;
    int rc = finish_lists(pc, err, errlen);
    if (rc != 0)
        return rc;
    if ((r->flags & DET_RF_TX) && (rc = finish_tx(pc, err, errlen)) != 0)
        return rc;
    r->npm = (uint16_t)pc->npm;
    if (pc->npm > 0) {
        if ((r->pm = det_arena_alloc(pc->env->arena, sizeof(*r->pm) * (size_t)pc->npm)) == NULL)
            return DET_ERR_NOMEM;
        memcpy(r->pm, pc->pm, sizeof(*r->pm) * (size_t)pc->npm);
    }
    r->nfb = (uint16_t)pc->nfb;
    if (pc->nfb > 0) {
        if ((r->fb = det_arena_alloc(pc->env->arena, sizeof(*r->fb) * (size_t)pc->nfb)) == NULL)
            return DET_ERR_NOMEM;
        memcpy(r->fb, pc->fb, sizeof(*r->fb) * (size_t)pc->nfb);
    }
    r->nvars = (uint8_t)pc->nvars;
    if ((r->flags & DET_RF_HAS_ALP) && !(r->flags & DET_RF_HAS_PKT_KW) && r->nlist == 0 && r->nfb == 0)
        r->flags |= DET_RF_PD_ONLY;
    if ((r->flags & DET_RF_TO_SERVER) && (r->flags & DET_RF_TO_CLIENT)) {
        snprintf(err, errlen, "flow: both to_server and to_client");
        return DET_ERR_INVAL;
    }
    return 0;
}

int rule_parse(struct rule_parse_env *env, const char *text, const char *file, uint32_t line,
               struct det_rule **out, char *err, size_t errlen)
{
    struct rule_lexed lx;
    struct rule_pctx *pc = NULL;
    int rc = rule_lex(text, &lx, err, errlen);
    if (rc != 0)
        goto out;
    pc = calloc(1, sizeof(*pc));
    struct det_rule *r = det_arena_alloc(env->arena, sizeof(*r));
    if (pc == NULL || r == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = DET_ERR_NOMEM;
        goto out;
    }
    pc->env = env;
    pc->r = r;
    pc->sticky = DET_BUF_PAYLOAD;
    r->file = file;
    r->line = line;
    r->fp_list = -1;
    if ((rc = parse_header(env, &lx, r, err, errlen)) != 0)
        goto out;
    for (int i = 0; i < lx.nopts; i++) {
        const struct rule_opt *o = &lx.opts[i];
        const struct rule_kw *kw = rule_kw_find(o->name);
        char e2[200] = "";
        if (kw == NULL) {
            snprintf(err, errlen, "unknown keyword \"%.40s\"", o->name);
            rc = DET_ERR_INVAL;
            goto out;
        }
        if ((kw->flags & RULE_KW_NOARG) && o->value != NULL && o->value[0] != '\0') {
            snprintf(err, errlen, "%s takes no value", kw->name);
            rc = DET_ERR_PARSE;
            goto out;
        }
        if ((kw->flags & RULE_KW_ARG) && (o->value == NULL || o->value[0] == '\0')) {
            snprintf(err, errlen, "%s needs a value", kw->name);
            rc = DET_ERR_PARSE;
            goto out;
        }
        if (strcmp(o->name, "sid") == 0)
            pc->has_sid = true;
        rc = kw->setup(pc, kw, o->value, e2, sizeof(e2));
        if (rc != 0) {
            snprintf(err, errlen, "%s: %s", kw->name, e2[0] ? e2 : "invalid");
            goto out;
        }
    }
    if ((rc = finish_rule(pc, err, errlen)) != 0)
        goto out;
    *out = r;
out:
    free(pc);
    rule_lex_fini(&lx);
    return rc;
}

uint32_t rule_parse_sid_hint(const char *text)
{
    const char *s = text;
    while ((s = strstr(s, "sid")) != NULL) {
        bool start = s == text || s[-1] == ';' || s[-1] == '(' || isspace((unsigned char)s[-1]);
        const char *p = s + 3;
        while (isspace((unsigned char)*p))
            p++;
        if (start && *p == ':') {
            p++;
            while (isspace((unsigned char)*p))
                p++;
            return (uint32_t)strtoul(p, NULL, 10);
        }
        s += 3;
    }
    return 0;
}

/* ---- flowbit names: a small open table, copied on reload ---- */

struct det_flowbit_names {
    char *names[DET_FLOWBITS_MAX];
    int n;
};

struct det_flowbit_names *rule_fbnames_new(const struct det_flowbit_names *copy_of)
{
    struct det_flowbit_names *n = calloc(1, sizeof(*n));
    if (n == NULL || copy_of == NULL)
        return n;
    for (int i = 0; i < copy_of->n; i++) {
        n->names[i] = strdup(copy_of->names[i]);
        if (n->names[i] == NULL) {
            rule_fbnames_free(n);
            return NULL;
        }
        n->n = i + 1;
    }
    return n;
}

void rule_fbnames_free(struct det_flowbit_names *n)
{
    if (n == NULL)
        return;
    for (int i = 0; i < n->n; i++)
        free(n->names[i]);
    free(n);
}

int rule_fbnames_get(struct det_flowbit_names *n, const char *name, size_t len)
{
    for (int i = 0; i < n->n; i++)
        if (strlen(n->names[i]) == len && memcmp(n->names[i], name, len) == 0)
            return i;
    if (n->n >= DET_FLOWBITS_MAX)
        return -1;
    n->names[n->n] = strndup(name, len);
    if (n->names[n->n] == NULL)
        return -1;
    return n->n++;
}

struct rule_parse_env *rule_pctx_env(struct rule_pctx *pc)
{
    return pc->env;
}
