/* det_scan: the per-worker side. det_thread holds what a worker needs to
 * inspect without allocating: a Hyperscan scratch for all of the engine's
 * databases, pcre2 match data, a candidate array and a generation stamp per
 * rule (dedupes candidates without clearing), and the threshold table.
 * det_inspect(): for each rule class the pass runs, scan each present buffer
 * with its any-port database and (payload) the databases of the packet's
 * ports, look both addresses up in the address index, merge the rules
 * without a prefilter, then evaluate the candidates in rule order, apply
 * flowbits and thresholds, and emit alerts.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "detect/det_private.h"

#define DET_THRESH_SLOTS 65536
#define DET_DOT_MAX 1024   /* longest name the dotprefix buffers take (DNS: 255) */

struct det_thread {
    const struct det_engine *e;
    hs_scratch_t *scratch;
    struct det_eval_scratch ev;
    uint32_t *stamp;
    uint32_t gen;
    uint32_t *cand;
    uint32_t ncand;
    const struct det_mpm *cur;     /* database being scanned, for the callback */
    struct det_thresh_table *thr;
    struct det_thread_stats st;
    struct det_input in;           /* the caller's input plus derived buffers */
    uint8_t dot[3][DET_DOT_MAX + 1];
};

struct det_thread *det_thread_new(const struct det_engine *e)
{
    struct det_thread *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->e = e;
    for (uint32_t i = 0; i < e->nmpm; i++)
        if (hs_alloc_scratch(e->mpm[i].db, &t->scratch) != HS_SUCCESS) {
            log_error("detect", "Hyperscan: cannot allocate scratch");
            goto fail;
        }
    t->ev.md = pcre2_match_data_create(32, NULL);
    t->stamp = calloc(e->nrules + 1, sizeof(uint32_t));
    t->cand = calloc(e->nrules + 1, sizeof(uint32_t));
    t->thr = det_thresh_new(DET_THRESH_SLOTS);
    if (t->ev.md == NULL || t->stamp == NULL || t->cand == NULL || t->thr == NULL)
        goto fail;
    return t;
fail:
    det_thread_free(t);
    return NULL;
}

void det_thread_free(struct det_thread *t)
{
    if (t == NULL)
        return;
    if (t->scratch != NULL)
        hs_free_scratch(t->scratch);
    pcre2_match_data_free(t->ev.md);
    free(t->stamp);
    free(t->cand);
    det_thresh_free(t->thr);
    free(t);
}

void det_thread_stats(const struct det_thread *t, struct det_thread_stats *out)
{
    *out = t->st;
}

static inline void add_cand(struct det_thread *t, uint32_t r)
{
    if (t->stamp[r] != t->gen) {
        t->stamp[r] = t->gen;
        t->cand[t->ncand++] = r;
    }
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    struct det_thread *t = ctx;
    const struct det_mpm *m = t->cur;
    for (uint32_t k = m->pat_off[id]; k < m->pat_off[id + 1]; k++)
        add_cand(t, m->pat_rules[k]);
    return 0;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int proto_group(uint8_t proto)
{
    return proto == IPPROTO_TCP ? DET_GRP_TCP : proto == IPPROTO_UDP ? DET_GRP_UDP : DET_GRP_OTHER;
}

/* The dotprefix buffers, made only when some rule reads them. */
static void derive_buffers(struct det_thread *t)
{
    static const uint8_t pairs[3][2] = { { DET_BUF_DNS_QUERY, DET_BUF_DNS_QUERY_DOT },
                                         { DET_BUF_TLS_SNI, DET_BUF_TLS_SNI_DOT },
                                         { DET_BUF_HTTP_HOST, DET_BUF_HTTP_HOST_DOT } };
    for (int i = 0; i < 3; i++) {
        const struct det_buf_ref *src = &t->in.buf[pairs[i][0]];
        struct det_buf_ref *dst = &t->in.buf[pairs[i][1]];
        dst->ptr = NULL;
        dst->len = 0;
        if (!(t->e->buf_used & (1ull << pairs[i][1])) || src->ptr == NULL || src->len > DET_DOT_MAX)
            continue;
        t->dot[i][0] = '.';
        memcpy(t->dot[i] + 1, src->ptr, src->len);
        dst->ptr = t->dot[i];
        dst->len = src->len + 1;
    }
}

/* Which pass a rule belongs to (see det_inspect() in detect.h). */
static bool det_pass_wants(const struct det_rule *r, uint32_t f)
{
    uint32_t rf = r->flags;
    if ((rf & DET_RF_PD_ONLY) && !(f & DET_IN_PROTO_DONE))
        return false;
    if (f & DET_IN_APP)
        return (rf & DET_RF_HAS_APPBUF) != 0;
    if (rf & DET_RF_HAS_APPBUF)
        return false;
    if (f & DET_IN_STREAM)
        return (rf & DET_RF_HAS_PAYLOAD) && !(rf & DET_RF_HAS_PKT_KW);
    if ((f & DET_IN_PKT_STREAMED) && (rf & DET_RF_HAS_PAYLOAD) &&
        !(rf & (DET_RF_HAS_PKT_KW | DET_RF_PKT_ONLY | DET_RF_NO_STREAM)))
        return false;
    return true;
}

/* Scan one buffer with the database at mpm index mi (-1: none). */
static void scan_db(struct det_thread *t, int32_t mi, const struct det_buf_ref *br)
{
    if (mi < 0)
        return;
    t->cur = &t->e->mpm[mi];
    t->st.scans++;
    hs_scan(t->cur->db, (const char *)br->ptr, br->len, 0, t->scratch, on_match, t);
}

static void add_ids(struct det_thread *t, const uint32_t *ids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        add_cand(t, ids[i]);
}

/* Candidates of one rule class: the fast patterns found in the buffers
 * present (the any-port database and, for the payload, the databases of the
 * packet's destination and source port), and the address index. */
static void class_candidates(struct det_thread *t, const struct det_input *in, int c, int g)
{
    const struct det_engine *e = t->e;
    const struct packet *p = in->p;
    for (int b = 0; b < DET_BUF_MAX; b++) {
        const struct det_buf_ref *br = &in->buf[b];
        if (br->ptr == NULL || br->len == 0)
            continue;
        scan_db(t, e->mpm_of[c][b][g], br);
        if (b == DET_BUF_PAYLOAD && g != DET_GRP_OTHER) {
            const uint16_t *dm = e->port_map[g][0][c], *sm = e->port_map[g][1][c];
            if (dm != NULL && dm[p->dport] != 0)
                scan_db(t, (int32_t)dm[p->dport] - 1, br);
            if (sm != NULL && sm[p->sport] != 0)
                scan_db(t, (int32_t)sm[p->sport] - 1, br);
        }
    }
    const struct det_nofp *nf = &e->nofp[c][g];
    const struct det_aidx *ax = p->ip_version == 4 ? &nf->a4 : p->ip_version == 6 ? &nf->a6 : NULL;
    if (ax != NULL && ax->n > 0) {
        const uint32_t *ids = NULL;
        uint32_t n;
        det_aidx_lookup(ax, p->src, p->ip_version, &ids, &n);
        add_ids(t, ids, n);
        det_aidx_lookup(ax, p->dst, p->ip_version, &ids, &n);
        add_ids(t, ids, n);
    }
}

/* Merge the ascending always list al into the sorted candidates (disjoint:
 * a rule is in one list only); from the back, in place (cand has room for
 * every rule). */
static void merge_always(struct det_thread *t, const uint32_t *al, uint32_t na)
{
    uint32_t nm = t->ncand, i = nm, j = na, k = nm + na;
    while (j > 0) {
        if (i > 0 && t->cand[i - 1] > al[j - 1])
            t->cand[--k] = t->cand[--i];
        else
            t->cand[--k] = al[--j];
    }
    t->ncand = nm + na;
}

static void tx_bit_set(struct det_flow *f, uint16_t b, bool on)
{
    uint8_t m = (uint8_t)(1u << (b & 7));
    f->bits[b >> 3] = on ? (uint8_t)(f->bits[b >> 3] | m) : (uint8_t)(f->bits[b >> 3] & ~m);
}

/* A transactional rule on one side of a transaction: true when it alerts now.
 * The request side records its result in the rule's hidden flowbit; the
 * response side alerts when its lists match and the request side matched,
 * and clears the bit (the next request decides again). HTTP/1 without
 * pipelining pairs a response with the request before it; pipelined
 * requests pair with the last request inspected. */
static bool tx_step(struct det_thread *t, const struct det_rule *r, const struct det_input *in,
                    const uint8_t **lb, uint32_t *ll)
{
    bool ts = (in->flags & DET_IN_TO_SERVER) != 0;
    uint8_t side = ts ? DET_LDIR_TS : DET_LDIR_TC;
    if (!(r->tx_sides & (1u << side)))
        return false;
    t->ev.only_dir = side;
    bool m = det_eval_lists(r, in, &t->ev, lb, ll);
    t->ev.only_dir = 0;
    uint8_t other = ts ? DET_LDIR_TC : DET_LDIR_TS;
    if (!(r->tx_sides & (1u << other)))
        return m;              /* one-sided: alerts like a plain rule */
    if (in->flow == NULL)
        return false;
    if (ts) {
        tx_bit_set(in->flow, r->tx_bit, m);
        return false;
    }
    bool req = (in->flow->bits[r->tx_bit >> 3] >> (r->tx_bit & 7)) & 1u;
    tx_bit_set(in->flow, r->tx_bit, false);
    return req && m;
}

int det_inspect(struct det_thread *t, const struct det_input *input, struct det_alert *out, int max)
{
    const struct det_engine *e = t->e;
    t->in = *input;
    derive_buffers(t);
    const struct det_input *in = &t->in;
    int nout = 0;
    if (++t->gen == 0) {
        memset(t->stamp, 0, (e->nrules + 1) * sizeof(uint32_t));
        t->gen = 1;
    }
    t->ncand = 0;
    t->st.inspected++;
    int g = proto_group(in->p->proto);
    /* the classes this pass runs (see det_rule_class) */
    int cls[2], ncls = 0;
    if (in->flags & DET_IN_APP) {
        cls[ncls++] = DET_CLS_APP;
    } else if (in->flags & DET_IN_STREAM) {
        cls[ncls++] = DET_CLS_STREAM;
    } else {
        cls[ncls++] = DET_CLS_PKT;
        if (!(in->flags & DET_IN_PKT_STREAMED))
            cls[ncls++] = DET_CLS_STREAM;
    }
    for (int k = 0; k < ncls; k++)
        class_candidates(t, in, cls[k], g);
    /* the response side of transactional rules whose request side matched:
     * their fast pattern may sit in a request buffer, absent here */
    if ((in->flags & DET_IN_APP) && !(in->flags & DET_IN_TO_SERVER) && in->flow != NULL)
        for (uint32_t k = 0; k < e->ntx; k++) {
            const struct det_rule *r = e->rules[e->tx_rules[k]];
            if ((in->flow->bits[r->tx_bit >> 3] >> (r->tx_bit & 7)) & 1u)
                add_cand(t, e->tx_rules[k]);
        }
    /* the prefilter's candidates are few: sort them, then merge the rules
     * without a fast pattern (already in evaluation order) */
    if (t->ncand > 1)
        qsort(t->cand, t->ncand, sizeof(uint32_t), u32_cmp);
    for (int k = 0; k < ncls; k++)
        if (e->nofp[cls[k]][g].nalways > 0)
            merge_always(t, e->nofp[cls[k]][g].always, e->nofp[cls[k]][g].nalways);
    t->st.candidates += t->ncand;
    for (uint32_t i = 0; i < t->ncand; i++) {
        const struct det_rule *r = e->rules[t->cand[i]];
        bool swapped;
        if (!det_pass_wants(r, in->flags))
            continue;
        if (!det_eval_header(r, in, &swapped))
            continue;
        if (r->nfb > 0 && !det_eval_flowbits_check(r, in->flow))
            continue;
        t->st.evaluated++;
        const uint8_t *lb = NULL;
        uint32_t ll = 0;
        if (r->flags & DET_RF_TX) {
            if (!tx_step(t, r, in, &lb, &ll))
                continue;
        } else if (!det_eval_lists(r, in, &t->ev, &lb, &ll)) {
            continue;
        }
        det_eval_flowbits_apply(r, in->flow);
        if (r->flags & DET_RF_NOALERT)
            continue;
        if (!det_thresh_check(t->thr, r, in)) {
            t->st.suppressed++;
            continue;
        }
        if (nout >= max) {
            t->st.alerts_dropped++;
            continue;
        }
        if (lb == NULL && in->buf[DET_BUF_PAYLOAD].ptr != NULL) {
            lb = in->buf[DET_BUF_PAYLOAD].ptr;
            ll = in->buf[DET_BUF_PAYLOAD].len;
        }
        out[nout++] = (struct det_alert){
            .sid = r->sid, .gid = r->gid, .rev = r->rev, .priority = r->priority, .action = r->action,
            .target = r->target, .msg = r->msg, .category = r->category, .metadata = r->metadata,
            .payload = lb, .payload_len = ll,
        };
        t->st.alerts++;
    }
    return nout;
}
