/* det_scan: the per-worker side. det_thread holds what a worker needs to
 * inspect without allocating: a Hyperscan scratch for all of the engine's
 * databases, pcre2 match data, a candidate array and a generation stamp per
 * rule (dedupes candidates without clearing), and the threshold table.
 * det_inspect(): scan each present buffer with its database for the
 * packet's protocol group, add the rules without a fast pattern, sort the
 * candidates into evaluation order, evaluate each fully, apply flowbits and
 * thresholds, and emit alerts.
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
    uint16_t rf = r->flags;
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
    for (int b = 0; b < DET_BUF_MAX; b++) {
        const struct det_buf_ref *br = &in->buf[b];
        int32_t mi = e->mpm_of[b][g];
        if (br->ptr == NULL || br->len == 0 || mi < 0)
            continue;
        t->cur = &e->mpm[mi];
        hs_scan(t->cur->db, (const char *)br->ptr, br->len, 0, t->scratch, on_match, t);
    }
    /* the prefilter's candidates are few: sort them, then merge with the
     * rules without a fast pattern (already in evaluation order) */
    uint32_t nm = t->ncand;
    if (nm > 1)
        qsort(t->cand, nm, sizeof(uint32_t), u32_cmp);
    uint32_t na = e->nalways[g];
    if (na > 0) {
        /* disjoint (a rule is in one or the other) and both ascending: merge
         * from the back in place; cand has room for every rule */
        const uint32_t *al = e->always[g];
        uint32_t i = nm, j = na, k = nm + na;
        while (j > 0) {
            if (i > 0 && t->cand[i - 1] > al[j - 1])
                t->cand[--k] = t->cand[--i];
            else
                t->cand[--k] = al[--j];
        }
        t->ncand = nm + na;
    }
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
        if (!det_eval_lists(r, in, &t->ev, &lb, &ll))
            continue;
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
