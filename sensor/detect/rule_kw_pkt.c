/* rule_kw_pkt: keywords on packet header fields (dsize ttl ip_proto flags
 * itype icode), each a match function in the table (detect-template.c
 * style), and the alert-rate keywords threshold and detection_filter.
 * Packet keywords never match in a stream or app-layer pass
 * (DET_IN_NO_PKT_KW): they describe one packet.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

enum { PK_DSIZE, PK_TTL, PK_ITYPE, PK_ICODE, PK_IPPROTO };

struct pk_cmp {
    uint8_t field;
    struct det_cmp cmp;
};

static bool pk_match(const void *data, const struct det_input *in)
{
    const struct pk_cmp *d = data;
    const struct packet *p = in->p;
    if (in->flags & DET_IN_NO_PKT_KW)
        return false;
    switch (d->field) {
    case PK_DSIZE:
        return rule_kw_cmp(&d->cmp, p->payload_len);
    case PK_TTL:
        return p->ip_version != 0 && rule_kw_cmp(&d->cmp, p->ttl);
    case PK_ITYPE:
        return (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && rule_kw_cmp(&d->cmp, p->icmp_type);
    case PK_ICODE:
        return (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && rule_kw_cmp(&d->cmp, p->icmp_code);
    case PK_IPPROTO:
        return p->ip_version != 0 && rule_kw_cmp(&d->cmp, p->proto);
    }
    return false;
}

static int kw_cmp(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    struct pk_cmp *d = det_arena_alloc(rule_pctx_arena(pc), sizeof(*d));
    if (d == NULL)
        return DET_ERR_NOMEM;
    d->field = (uint8_t)kw->data;
    if (rule_kw_parse_cmp(arg, &d->cmp) != 0) {
        const struct protoent *pe = NULL;
        const char *a = arg;
        bool neg = false;
        if (kw->data == PK_IPPROTO && *a == '!') {
            neg = true;
            a++;
        }
        if (kw->data == PK_IPPROTO && (pe = getprotobyname(a)) != NULL) {
            d->cmp.op = neg ? '!' : '=';
            d->cmp.lo = (uint32_t)pe->p_proto;
        } else {
            snprintf(err, errlen, "expected N, <N, >N, N<>M or !N");
            return DET_ERR_PARSE;
        }
    }
    uint32_t max = kw->data == PK_DSIZE ? 65535 : 255;
    if (d->cmp.lo > max || d->cmp.hi > max) {
        snprintf(err, errlen, "value out of range 0..%u", max);
        return DET_ERR_INVAL;
    }
    rule_pctx_rule(pc)->flags |= DET_RF_HAS_PKT_KW;
    return rule_pctx_add_pm(pc, pk_match, d);
}

/* flags:[+*!]FSRPAUCE0[,ignore] */
struct pk_flags {
    uint8_t set, ignore;
    char mod;
};

static bool pk_flags_match(const void *data, const struct det_input *in)
{
    const struct pk_flags *d = data;
    const struct packet *p = in->p;
    if ((in->flags & DET_IN_NO_PKT_KW) || p->proto != IPPROTO_TCP)
        return false;
    uint8_t f = p->tcp_flags & (uint8_t)~d->ignore;
    switch (d->mod) {
    case '+': return (f & d->set) == d->set;
    case '*': return (f & d->set) != 0;
    case '!': return (f & d->set) == 0;
    default: return f == d->set;
    }
}

static int flag_bit(char c, uint8_t *b)
{
    switch (c) {
    case 'F': case 'f': *b = 0x01; return 0;
    case 'S': case 's': *b = 0x02; return 0;
    case 'R': case 'r': *b = 0x04; return 0;
    case 'P': case 'p': *b = 0x08; return 0;
    case 'A': case 'a': *b = 0x10; return 0;
    case 'U': case 'u': *b = 0x20; return 0;
    case 'E': case 'e': case '2': *b = 0x40; return 0;
    case 'C': case 'c': case '1': *b = 0x80; return 0;
    case '0': *b = 0; return 0;
    }
    return -1;
}

static int kw_flags(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err, size_t errlen)
{
    (void)kw;
    struct pk_flags *d = det_arena_alloc(rule_pctx_arena(pc), sizeof(*d));
    if (d == NULL)
        return DET_ERR_NOMEM;
    const char *s = arg;
    bool in_mask = false;
    for (; *s != '\0'; s++) {
        uint8_t b;
        if (*s == ' ')
            continue;
        if (*s == ',') {
            in_mask = true;
            continue;
        }
        if (!in_mask && (*s == '+' || *s == '*' || *s == '!')) {
            d->mod = *s;
            continue;
        }
        if (flag_bit(*s, &b) != 0) {
            snprintf(err, errlen, "unknown flag '%c'", *s);
            return DET_ERR_PARSE;
        }
        if (in_mask)
            d->ignore |= b;
        else
            d->set |= b;
    }
    rule_pctx_rule(pc)->flags |= DET_RF_HAS_PKT_KW;
    return rule_pctx_add_pm(pc, pk_flags_match, d);
}

/* threshold: type T, track K, count N, seconds S  /  detection_filter: track, count, seconds */
int rule_kw_parse_threshold(const char *arg, bool detection_filter, struct det_thr *t, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    bool have_type = detection_filter, have_track = false, have_count = false, have_sec = false;
    memset(t, 0, sizeof(*t));
    if (detection_filter)
        t->type = DET_THR_DETECTION;
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
        char *e = (char *)rule_kw_trim(it);
        char *sp = strpbrk(e, " \t");
        if (sp == NULL) {
            snprintf(err, errlen, "\"%.30s\" is not \"name value\"", e);
            return DET_ERR_PARSE;
        }
        *sp = '\0';
        const char *v = rule_kw_trim(sp + 1);
        if (!detection_filter && strcmp(e, "type") == 0) {
            if (strcmp(v, "limit") == 0) t->type = DET_THR_LIMIT;
            else if (strcmp(v, "threshold") == 0) t->type = DET_THR_THRESHOLD;
            else if (strcmp(v, "both") == 0) t->type = DET_THR_BOTH;
            else {
                snprintf(err, errlen, "unknown type \"%.20s\"", v);
                return DET_ERR_PARSE;
            }
            have_type = true;
        } else if (strcmp(e, "track") == 0) {
            if (strcmp(v, "by_src") == 0) t->track = DET_TRACK_SRC;
            else if (strcmp(v, "by_dst") == 0) t->track = DET_TRACK_DST;
            else if (strcmp(v, "by_rule") == 0) t->track = DET_TRACK_RULE;
            else if (strcmp(v, "by_both") == 0) t->track = DET_TRACK_BOTH;
            else if (strcmp(v, "by_flow") == 0) t->track = DET_TRACK_FLOW;
            else {
                snprintf(err, errlen, "unknown track \"%.20s\"", v);
                return DET_ERR_PARSE;
            }
            have_track = true;
        } else if (strcmp(e, "count") == 0) {
            if (rule_kw_parse_u32(v, &t->count) != 0 || t->count == 0) {
                snprintf(err, errlen, "bad count");
                return DET_ERR_PARSE;
            }
            have_count = true;
        } else if (strcmp(e, "seconds") == 0) {
            if (rule_kw_parse_u32(v, &t->seconds) != 0) {
                snprintf(err, errlen, "bad seconds");
                return DET_ERR_PARSE;
            }
            have_sec = true;
        } else {
            snprintf(err, errlen, "unknown option \"%.20s\"", e);
            return DET_ERR_PARSE;
        }
    }
    if (!have_type || !have_track || !have_count || !have_sec) {
        snprintf(err, errlen, "needs %stype, track, count and seconds", detection_filter ? "" : "");
        return DET_ERR_PARSE;
    }
    return 0;
}

static int kw_threshold(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                        size_t errlen)
{
    struct det_rule *r = rule_pctx_rule(pc);
    if (r->thr.type != DET_THR_NONE) {
        snprintf(err, errlen, "only one threshold or detection_filter per rule");
        return DET_ERR_INVAL;
    }
    return rule_kw_parse_threshold(arg, kw->data == 1, &r->thr, err, errlen);
}

/* prefilter: Suricata's hint to prefilter on a non-content keyword; our
 * candidates come from fast patterns only, so it changes nothing. */
static int kw_prefilter(struct rule_pctx *pc, const struct rule_kw *kw, const char *arg, char *err,
                        size_t errlen)
{
    (void)pc;
    (void)kw;
    (void)arg;
    (void)err;
    (void)errlen;
    return 0;
}

const struct rule_kw rule_kw_pkt_table[] = {
    { "dsize", kw_cmp, RULE_KW_ARG, PK_DSIZE },
    { "ttl", kw_cmp, RULE_KW_ARG, PK_TTL },
    { "itype", kw_cmp, RULE_KW_ARG, PK_ITYPE },
    { "icode", kw_cmp, RULE_KW_ARG, PK_ICODE },
    { "ip_proto", kw_cmp, RULE_KW_ARG, PK_IPPROTO },
    { "flags", kw_flags, RULE_KW_ARG, 0 },
    { "tcp.flags", kw_flags, RULE_KW_ARG, 0 },
    { "threshold", kw_threshold, RULE_KW_ARG, 0 },
    { "detection_filter", kw_threshold, RULE_KW_ARG, 1 },
    { "prefilter", kw_prefilter, RULE_KW_NOARG, 0 },
    { NULL, NULL, 0, 0 },
};
