/* det_aidx: the address prefilter for rules without a fast pattern (ET's
 * reputation lists: CINS, Tor, compromised hosts, DROP). Each such rule whose
 * source or destination is a narrow address list is indexed by that list: the
 * address space is cut into elementary segments at every range boundary and
 * each segment lists the rules whose ranges cover it. A packet looks up its two
 * addresses (one binary search each) instead of running every rule's header.
 * The index is a superset filter: det_eval_header still decides.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

/* Most addresses a narrow side may cover: 2^22 in IPv4 (a reputation list
 * of hosts and small nets), 2^96 in IPv6 (a /32). $HOME_NET (17.9 M) and
 * $EXTERNAL_NET are wide: such a rule would sit in most segments. */
#define AIDX_V4_MAX 4194304.0
#define AIDX_V6_MAX 79228162514264337593543950336.0

static struct det_k128 k128_of(const uint8_t *a, uint8_t ver)
{
    struct det_k128 k = { 0, 0 };
    if (ver == 4) {
        k.lo = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[2] << 8 | a[3];
        return k;
    }
    for (int i = 0; i < 8; i++)
        k.hi = k.hi << 8 | a[i];
    for (int i = 8; i < 16; i++)
        k.lo = k.lo << 8 | a[i];
    return k;
}

static int k128_cmp(struct det_k128 a, struct det_k128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct det_k128 k128_inc(struct det_k128 a)
{
    if (++a.lo == 0)
        a.hi++;
    return a;
}

/* Number of addresses a range covers (as a double: IPv6 sizes). */
static double range_size(const struct det_ipr *r)
{
    struct det_k128 lo = k128_of(r->lo, r->ver), hi = k128_of(r->hi, r->ver);
    uint64_t dh = hi.hi - lo.hi - (hi.lo < lo.lo), dl = hi.lo - lo.lo;
    return (double)dh * 18446744073709551616.0 + (double)dl + 1.0;
}

double det_aidx_cover(const struct det_addrs *a, uint8_t ver)
{
    double n = 0;
    for (uint32_t i = 0; i < a->ninc; i++)
        if (a->inc[i].ver == ver)
            n += range_size(&a->inc[i]);
    return n;
}

bool det_aidx_narrow(const struct det_addrs *a)
{
    if (a->any || a->ninc == 0)
        return false;
    return det_aidx_cover(a, 4) <= AIDX_V4_MAX && det_aidx_cover(a, 6) <= AIDX_V6_MAX;
}

static int bound_cmp(const void *x, const void *y)
{
    return k128_cmp(*(const struct det_k128 *)x, *(const struct det_k128 *)y);
}

/* First segment whose start is > k, minus one: the segment holding k. */
static uint32_t seg_of(const struct det_k128 *b, uint32_t n, struct det_k128 k)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (k128_cmp(b[mid], k) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;   /* 0: before the first boundary */
}

int det_aidx_build(struct det_aidx *x, struct det_arena *ar, uint8_t ver, const struct det_rule *const *rules,
                   const uint32_t *ids, const uint8_t *side, uint32_t n)
{
    int rc = DET_ERR_NOMEM;
    uint32_t nb = 0, cap = 0;
    struct det_k128 *b = NULL;
    uint32_t *cnt = NULL;
    memset(x, 0, sizeof(*x));
    for (uint32_t i = 0; i < n; i++) {
        const struct det_addrs *a = side[i] ? &rules[ids[i]]->dst : &rules[ids[i]]->src;
        cap += 2 * a->ninc;
    }
    if (cap == 0)
        return 0;
    if ((b = malloc(cap * sizeof(*b))) == NULL)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        const struct det_addrs *a = side[i] ? &rules[ids[i]]->dst : &rules[ids[i]]->src;
        for (uint32_t k = 0; k < a->ninc; k++) {
            if (a->inc[k].ver != ver)
                continue;
            b[nb++] = k128_of(a->inc[k].lo, ver);
            b[nb++] = k128_inc(k128_of(a->inc[k].hi, ver));
        }
    }
    if (nb == 0) {
        rc = 0;
        goto out;
    }
    qsort(b, nb, sizeof(*b), bound_cmp);
    uint32_t u = 1;
    for (uint32_t i = 1; i < nb; i++)
        if (k128_cmp(b[i], b[u - 1]) != 0)
            b[u++] = b[i];
    nb = u;
    /* segment s = [b[s], b[s+1]); two passes: count, then fill */
    if ((cnt = calloc(nb + 1, sizeof(*cnt))) == NULL)
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            const struct det_addrs *a = side[i] ? &rules[ids[i]]->dst : &rules[ids[i]]->src;
            for (uint32_t k = 0; k < a->ninc; k++) {
                if (a->inc[k].ver != ver)
                    continue;
                uint32_t s0 = seg_of(b, nb, k128_of(a->inc[k].lo, ver)) - 1;
                uint32_t s1 = seg_of(b, nb, k128_of(a->inc[k].hi, ver)) - 1;
                for (uint32_t s = s0; s <= s1; s++) {
                    if (pass == 0) {
                        cnt[s]++;
                    } else {
                        /* a rule listed once per segment even when two of its ranges touch it */
                        uint32_t at = x->off[s] + cnt[s];
                        if (cnt[s] == 0 || x->ids[at - 1] != ids[i]) {
                            x->ids[at] = ids[i];
                            cnt[s]++;
                        }
                    }
                }
            }
        }
        if (pass == 0) {
            uint32_t total = 0;
            x->off = det_arena_alloc(ar, (nb + 1) * sizeof(uint32_t));
            if (x->off == NULL)
                goto out;
            for (uint32_t s = 0; s < nb; s++) {
                x->off[s] = total;
                total += cnt[s];
                cnt[s] = 0;
            }
            x->off[nb] = total;
            x->ids = det_arena_alloc(ar, (total ? total : 1) * sizeof(uint32_t));
            if (x->ids == NULL)
                goto out;
            x->npairs = total;
        }
    }
    /* compact each segment's list (duplicates skipped above leave gaps) */
    uint32_t w = 0;
    for (uint32_t s = 0; s < nb; s++) {
        uint32_t from = x->off[s];
        x->off[s] = w;
        memmove(x->ids + w, x->ids + from, cnt[s] * sizeof(uint32_t));
        w += cnt[s];
    }
    x->off[nb] = w;
    x->npairs = w;
    x->bound = det_arena_alloc(ar, nb * sizeof(*x->bound));
    if (x->bound == NULL)
        goto out;
    memcpy(x->bound, b, nb * sizeof(*b));
    x->n = nb;
    rc = 0;
out:
    free(b);
    free(cnt);
    return rc;
}

void det_aidx_lookup(const struct det_aidx *x, const uint8_t *addr, uint8_t ver, const uint32_t **ids,
                     uint32_t *n)
{
    *n = 0;
    if (x->n == 0)
        return;
    uint32_t s = seg_of(x->bound, x->n, k128_of(addr, ver));
    if (s == 0 || s >= x->n)   /* before the first or past the last boundary */
        return;
    *ids = x->ids + x->off[s - 1];
    *n = x->off[s] - x->off[s - 1];
}
