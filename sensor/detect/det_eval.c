/* det_eval: full evaluation of one candidate rule against one input.
 *
 * Order: header (protocol, app protocol, flow flags, addresses, ports),
 * packet keywords, flowbit conditions, then each buffer list. A list runs
 * its matches in order with a cursor (the end of the previous match);
 * when a later relative match fails, the content before it is retried at its
 * next occurrence (Suricata's content inspection), bounded by a step budget
 * so a hostile payload cannot make one rule cost more than DET_EVAL_BUDGET.
 * No allocation: pcre2 match data comes from the worker's scratch.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <string.h>

#include "detect/det_private.h"

#define DET_EVAL_BUDGET 4096

bool det_eval_header(const struct det_rule *r, const struct det_input *in, bool *swapped)
{
    const struct packet *p = in->p;
    *swapped = false;
    if (r->ipproto != 0 && p->proto != r->ipproto &&
        !(r->ipproto == IPPROTO_ICMP && p->proto == IPPROTO_ICMPV6))
        return false;
    if (r->app != DET_APP_UNKNOWN && in->app != r->app) {
        enum det_app a = (in->flags & DET_IN_TO_SERVER) ? in->app_ts : in->app_tc;
        if (a != r->app)
            return false;
    }
    uint32_t f = in->flags;
    if ((r->flags & DET_RF_TO_SERVER) && !(f & DET_IN_TO_SERVER))
        return false;
    if ((r->flags & DET_RF_TO_CLIENT) && (f & DET_IN_TO_SERVER))
        return false;
    if ((r->flags & DET_RF_ESTABLISHED) && !(f & DET_IN_ESTABLISHED))
        return false;
    if ((r->flags & DET_RF_NOT_EST) && (f & DET_IN_ESTABLISHED))
        return false;
    if ((r->flags & DET_RF_ONLY_STREAM) && !(f & DET_IN_STREAM))
        return false;
    if ((r->flags & (DET_RF_NO_STREAM | DET_RF_PKT_ONLY)) && (f & DET_IN_STREAM))
        return false;
    if (p->ip_version == 0)
        return r->src.any && r->dst.any && r->src.nexc == 0 && r->dst.nexc == 0;
    /* a transactional rule's header is the request's: the response pass sees
     * it reversed. Ports first: they are cheaper than address lists. */
    bool tc_tx = (r->flags & DET_RF_TX) && !(f & DET_IN_TO_SERVER);
    if (!tc_tx && rule_vars_port_match(&r->sp, p->sport) && rule_vars_port_match(&r->dp, p->dport) &&
        rule_vars_addr_match(&r->src, p->src, p->ip_version) &&
        rule_vars_addr_match(&r->dst, p->dst, p->ip_version))
        return true;
    if (!(r->flags & DET_RF_BIDIR) && !tc_tx)
        return false;
    *swapped = true;
    return rule_vars_port_match(&r->sp, p->dport) && rule_vars_port_match(&r->dp, p->sport) &&
           rule_vars_addr_match(&r->src, p->dst, p->ip_version) &&
           rule_vars_addr_match(&r->dst, p->src, p->ip_version);
}

/* ---- flowbits ---- */

static bool fb_get(const struct det_flow *f, uint16_t b)
{
    return (f->bits[b >> 3] >> (b & 7)) & 1u;
}

bool det_eval_flowbits_check(const struct det_rule *r, const struct det_flow *f)
{
    for (uint16_t i = 0; i < r->nfb; i++) {
        const struct det_fbop *op = &r->fb[i];
        if (op->cmd != DET_FB_ISSET && op->cmd != DET_FB_ISNOTSET)
            continue;
        bool want = op->cmd == DET_FB_ISSET;
        if (f == NULL) {
            if (want)
                return false;
            continue;
        }
        /* isset a&b: all set; isset a|b: any set; isnotset a&b: all unset; a|b: any unset */
        bool all = true, any = false;
        for (uint8_t k = 0; k < op->n; k++) {
            bool ok = fb_get(f, op->bit[k]) == want;
            all = all && ok;
            any = any || ok;
        }
        if (op->and_op ? !all : !any)
            return false;
    }
    return true;
}

void det_eval_flowbits_apply(const struct det_rule *r, struct det_flow *f)
{
    if (f == NULL)
        return;
    for (uint16_t i = 0; i < r->nfb; i++) {
        const struct det_fbop *op = &r->fb[i];
        for (uint8_t k = 0; k < op->n; k++) {
            uint16_t b = op->bit[k];
            uint8_t m = (uint8_t)(1u << (b & 7));
            if (op->cmd == DET_FB_SET)
                f->bits[b >> 3] |= m;
            else if (op->cmd == DET_FB_UNSET)
                f->bits[b >> 3] &= (uint8_t)~m;
            else if (op->cmd == DET_FB_TOGGLE)
                f->bits[b >> 3] ^= m;
        }
    }
}

/* ---- buffer lists ---- */

static const uint8_t *find(const uint8_t *h, uint32_t hl, const uint8_t *n, uint32_t nl, bool nocase)
{
    if (nl == 0 || hl < nl)
        return NULL;
    if (!nocase)
        return memmem(h, hl, n, nl);
    uint8_t f0 = (uint8_t)tolower(n[0]);
    for (uint32_t i = 0; i + nl <= hl; i++) {
        if ((uint8_t)tolower(h[i]) != f0)
            continue;
        uint32_t k = 1;
        while (k < nl && tolower(h[i + k]) == tolower(n[k]))
            k++;
        if (k == nl)
            return h + i;
    }
    return NULL;
}

static int64_t varval(const struct det_eval_scratch *s, int8_t var, int64_t v)
{
    return var >= 0 ? (int64_t)s->vars[var] : v;
}

/* Read nbytes at pos as a number; false when out of bounds or not a number. */
static bool read_num(const struct det_byte *b, uint16_t flags, const uint8_t *buf, uint32_t len,
                     int64_t pos, uint64_t *out)
{
    if (pos < 0 || pos + b->nbytes > (int64_t)len)
        return false;
    const uint8_t *d = buf + pos;
    uint64_t v = 0;
    if (flags & DET_BT_STRING) {
        int digits = 0;
        for (uint8_t i = 0; i < b->nbytes; i++) {
            int c = d[i], x;
            if (c >= '0' && c <= '9') x = c - '0';
            else if (b->base == 16 && isxdigit(c)) x = tolower(c) - 'a' + 10;
            else break;
            if (x >= b->base)
                break;
            v = v * b->base + (uint64_t)x;
            digits++;
        }
        if (digits == 0)
            return false;
    } else if (flags & DET_BT_LITTLE) {
        for (int i = b->nbytes - 1; i >= 0; i--)
            v = (v << 8) | d[i];
    } else {
        for (uint8_t i = 0; i < b->nbytes; i++)
            v = (v << 8) | d[i];
    }
    if (flags & DET_BT_BITMASK) {
        v &= b->bitmask;
        if (b->bitmask != 0)
            v >>= __builtin_ctzll(b->bitmask);
    }
    *out = v;
    return true;
}

static bool eval_from(const struct det_list *l, uint16_t idx, const uint8_t *buf, uint32_t len,
                      int64_t cur, int64_t hi, struct det_eval_scratch *s);

static bool eval_content(const struct det_list *l, uint16_t idx, const uint8_t *buf, uint32_t len,
                         int64_t cur, int64_t hi, struct det_eval_scratch *s)
{
    const struct det_sm *sm = &l->sm[idx];
    const struct det_content *c = &sm->u.c;
    uint16_t fl = sm->flags;
    int64_t start = 0, end = len;
    if (fl & DET_CF_RELATIVE) {
        start = cur;
        if (fl & DET_CF_DISTANCE)
            start += varval(s, c->distance_var, c->distance);
        if (fl & DET_CF_WITHIN)
            end = cur + varval(s, c->distance_var, (fl & DET_CF_DISTANCE) ? c->distance : 0) +
                  varval(s, c->within_var, c->within);
    } else {
        if (fl & DET_CF_OFFSET)
            start = varval(s, c->offset_var, c->offset);
        if (fl & DET_CF_DEPTH)
            end = start + varval(s, c->depth_var, c->depth);
        if (fl & DET_CF_STARTSWITH)
            end = c->len;
    }
    if (start < 0)
        start = 0;
    if (end > (int64_t)len)
        end = len;
    bool neg = fl & DET_CF_NEGATED;
    bool nocase = fl & DET_CF_NOCASE;
    bool next_rel = idx + 1 < l->nsm && ((l->sm[idx + 1].type == DET_SM_CONTENT &&
                                          (l->sm[idx + 1].flags & DET_CF_RELATIVE)) ||
                                         l->sm[idx + 1].type != DET_SM_CONTENT);
    for (;;) {
        if (s->budget == 0)
            return false;
        s->budget--;
        const uint8_t *m = NULL;
        if (start <= end && end - start >= c->len) {
            if (fl & DET_CF_ENDSWITH) {
                const uint8_t *tail = buf + end - c->len;
                if (end == (int64_t)len && find(tail, c->len, c->pat, c->len, nocase) != NULL)
                    m = tail;
            } else {
                m = find(buf + start, (uint32_t)(end - start), c->pat, c->len, nocase);
            }
        }
        if (neg) {
            if (m != NULL)
                return false;
            return eval_from(l, (uint16_t)(idx + 1), buf, len, cur, hi, s);
        }
        if (m == NULL)
            return false;
        int64_t mend = (m - buf) + c->len;
        if (eval_from(l, (uint16_t)(idx + 1), buf, len, mend, mend > hi ? mend : hi, s))
            return true;
        /* retry at the next occurrence: a later relative match failed, or
         * (stream pass) this occurrence lies wholly in the tail */
        if ((!next_rel && s->min_end == 0) || (fl & (DET_CF_ENDSWITH | DET_CF_STARTSWITH)))
            return false;
        start = (m - buf) + 1;
    }
}

static bool eval_pcre(const struct det_sm *sm, const uint8_t *buf, uint32_t len, int64_t *cur,
                      struct det_eval_scratch *s)
{
    /* relative: the subject starts at the cursor, so '^' anchors there (as in Suricata) */
    uint32_t off = (sm->flags & DET_PCRE_RELATIVE) ? (uint32_t)*cur : 0;
    if (off > len)
        return (sm->flags & DET_PCRE_NEGATED) != 0;
    pcre2_match_data *md = s->md;
    static const uint8_t empty = 0;
    const uint8_t *subj = len - off ? buf + off : &empty;
    int rc = pcre2_match(sm->u.re.code, subj, len - off, 0, 0, md, NULL);
    bool m = rc >= 0;
    if (sm->flags & DET_PCRE_NEGATED)
        return !m;
    if (m)
        *cur = off + (int64_t)pcre2_get_ovector_pointer(md)[1];
    return m;
}

static bool eval_byte(const struct det_sm *sm, const uint8_t *buf, uint32_t len, int64_t *cur,
                      struct det_eval_scratch *s)
{
    const struct det_byte *b = &sm->u.b;
    int64_t pos = varval(s, b->offset_var, b->offset);
    if (sm->flags & DET_BT_RELATIVE)
        pos += *cur;
    uint64_t v;
    if (!read_num(b, sm->flags, buf, len, pos, &v))
        return false;
    switch (sm->type) {
    case DET_SM_BYTE_TEST: {
        uint64_t want = b->value_var >= 0 ? s->vars[b->value_var] : b->value;
        bool r;
        switch (b->op) {
        case '<': r = v < want; break;
        case '>': r = v > want; break;
        case '=': r = v == want; break;
        case '&': r = (v & want) != 0; break;
        case '^': r = (v ^ want) != 0; break;
        case 'l': r = v <= want; break;
        case 'g': r = v >= want; break;
        default: r = false;
        }
        return (sm->flags & DET_BT_NEGOP) ? !r : r;
    }
    case DET_SM_BYTE_JUMP: {
        int64_t base = (sm->flags & DET_BT_FROM_BEG) ? 0 : (sm->flags & DET_BT_FROM_END) ? (int64_t)len
                                                                                       : pos + b->nbytes;
        int64_t np = base + (int64_t)v * b->multiplier;
        if ((sm->flags & DET_BT_ALIGN) && (np % 4) != 0)
            np += 4 - (np % 4);
        np += b->post_offset;
        if (np < 0 || np > (int64_t)len)
            return false;
        *cur = np;
        return true;
    }
    case DET_SM_BYTE_EXTRACT:
        if (b->slot >= 0)
            s->vars[b->slot] = v * (uint64_t)b->multiplier;
        *cur = pos + b->nbytes;
        return true;
    }
    return false;
}

/* hi: the furthest end of a positive match so far; with s->min_end set
 * (stream tail) the list matches only when hi passes it. */
static bool eval_from(const struct det_list *l, uint16_t idx, const uint8_t *buf, uint32_t len,
                      int64_t cur, int64_t hi, struct det_eval_scratch *s)
{
    for (; idx < l->nsm; idx++) {
        const struct det_sm *sm = &l->sm[idx];
        switch (sm->type) {
        case DET_SM_CONTENT:
            return eval_content(l, idx, buf, len, cur, hi, s);
        case DET_SM_PCRE:
            if (!eval_pcre(sm, buf, len, &cur, s))
                return false;
            if (!(sm->flags & DET_PCRE_NEGATED) && cur > hi)
                hi = cur;
            break;
        case DET_SM_BYTE_TEST:
        case DET_SM_BYTE_JUMP:
        case DET_SM_BYTE_EXTRACT:
            if (!eval_byte(sm, buf, len, &cur, s))
                return false;
            break;
        case DET_SM_ISDATAAT: {
            int64_t at = varval(s, sm->u.d.var, sm->u.d.n) + (sm->u.d.relative ? cur : 0);
            bool has = at < (int64_t)len;
            if (has == ((sm->flags & DET_CF_NEGATED) != 0))
                return false;
            break;
        }
        case DET_SM_BSIZE: {
            struct det_cmp c = { sm->u.z.op, sm->u.z.lo, sm->u.z.hi };
            if (!rule_kw_cmp(&c, len))
                return false;
            break;
        }
        }
    }
    return s->min_end == 0 || hi > s->min_end;
}

bool det_eval_list(const struct det_list *l, const uint8_t *buf, uint32_t len, struct det_eval_scratch *s)
{
    s->budget = DET_EVAL_BUDGET;
    return eval_from(l, 0, buf, len, 0, 0, s);
}

bool det_eval_lists(const struct det_rule *r, const struct det_input *in, struct det_eval_scratch *s,
                    const uint8_t **last_buf, uint32_t *last_len)
{
    for (uint16_t i = 0; i < r->npm; i++)
        if (!r->pm[i].match(r->pm[i].data, in))
            return false;
    for (uint16_t k = 0; k < r->nlist; k++) {
        const struct det_list *l = &r->lists[k];
        const struct det_buf_ref *b = &in->buf[l->buf];
        if (s->only_dir != 0 && l->dir != s->only_dir)
            continue;
        if (b->ptr == NULL)
            return false;
        if (l->buf == DET_BUF_PAYLOAD && in->stream_new > 0 && in->stream_new <= b->len) {
            /* stream pass: the new data alone (offsets count from its start),
             * else across the tail with a match ending in the new data */
            uint32_t nw = in->stream_new;
            bool m = det_eval_list(l, b->ptr + nw, b->len - nw, s);
            if (!m) {
                s->min_end = nw;
                m = det_eval_list(l, b->ptr, b->len, s);
                s->min_end = 0;
            }
            if (!m)
                return false;
        } else if (!det_eval_list(l, b->ptr, b->len, s)) {
            return false;
        }
        *last_buf = b->ptr;
        *last_len = b->len;
    }
    return true;
}
