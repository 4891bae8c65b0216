/* det_build: the Hyperscan block-mode databases and the prefilter for rules
 * without a fast pattern. Rules are split by class (which pass runs them),
 * IP protocol group and, for payload rules whose destination or source ports
 * are a short list, by port: one database per distinct set of rules a port
 * sees (Suricata's signature group heads), so 1-3 byte patterns are scanned
 * only where their rules apply. Identical patterns are merged and map to
 * every rule that chose them. A database is cached on disk as
 * hs_serialize_database() output, named by the sha256 of the Hyperscan
 * version and the exact pattern set; a bad or foreign cache file is ignored.
 */
#include <errno.h>
#include <hs/hs.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "detect/det_private.h"

/* The patterns of one database while it is being built. */
struct bpat {
    const uint8_t *pat;
    uint32_t len;
    bool nocase;
    uint32_t nrules, caprules;
    uint32_t *rules;
};
struct bdb {
    struct bpat *p;
    uint32_t n, cap;
    uint32_t *hash;            /* open addressing: index+1, 0 empty */
    uint32_t hcap;
};

static uint32_t pat_hash(const uint8_t *p, uint32_t n, bool nocase)
{
    uint32_t h = 2166136261u ^ (nocase ? 0x9e37u : 0);
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int bdb_grow_hash(struct bdb *d)
{
    uint32_t cap = d->hcap ? d->hcap * 2 : 1024;
    uint32_t *h = calloc(cap, sizeof(*h));
    if (h == NULL)
        return DET_ERR_NOMEM;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t k = pat_hash(d->p[i].pat, d->p[i].len, d->p[i].nocase) & (cap - 1);
        while (h[k] != 0)
            k = (k + 1) & (cap - 1);
        h[k] = i + 1;
    }
    free(d->hash);
    d->hash = h;
    d->hcap = cap;
    return 0;
}

static int bdb_add(struct bdb *d, const uint8_t *pat, uint32_t len, bool nocase, uint32_t rule)
{
    if ((d->n + 1) * 2 > d->hcap && bdb_grow_hash(d) != 0)
        return DET_ERR_NOMEM;
    uint32_t k = pat_hash(pat, len, nocase) & (d->hcap - 1);
    struct bpat *bp = NULL;
    while (d->hash[k] != 0) {
        struct bpat *c = &d->p[d->hash[k] - 1];
        if (c->len == len && c->nocase == nocase && memcmp(c->pat, pat, len) == 0) {
            bp = c;
            break;
        }
        k = (k + 1) & (d->hcap - 1);
    }
    if (bp == NULL) {
        if (d->n == d->cap) {
            uint32_t cap = d->cap ? d->cap * 2 : 256;
            struct bpat *np = realloc(d->p, cap * sizeof(*np));
            if (np == NULL)
                return DET_ERR_NOMEM;
            d->p = np;
            d->cap = cap;
        }
        bp = &d->p[d->n];
        memset(bp, 0, sizeof(*bp));
        bp->pat = pat;
        bp->len = len;
        bp->nocase = nocase;
        d->hash[k] = ++d->n;
    }
    if (bp->nrules == bp->caprules) {
        uint32_t cap = bp->caprules ? bp->caprules * 2 : 2;
        uint32_t *nr = realloc(bp->rules, cap * sizeof(*nr));
        if (nr == NULL)
            return DET_ERR_NOMEM;
        bp->rules = nr;
        bp->caprules = cap;
    }
    if (bp->nrules == 0 || bp->rules[bp->nrules - 1] != rule)
        bp->rules[bp->nrules++] = rule;
    return 0;
}

static void bdb_fini(struct bdb *d)
{
    for (uint32_t i = 0; i < d->n; i++)
        free(d->p[i].rules);
    free(d->p);
    free(d->hash);
}

/* sha256(hs_version, flags, ids, patterns) as 64 hex chars. */
static void cache_key(const struct bdb *d, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *ver = hs_version();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, "canh-hs-1", 9);
    EVP_DigestUpdate(ctx, ver, strlen(ver) + 1);
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t hdr[2] = { d->p[i].len, d->p[i].nocase };
        EVP_DigestUpdate(ctx, hdr, sizeof(hdr));
        EVP_DigestUpdate(ctx, d->p[i].pat, d->p[i].len);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static hs_database_t *cache_read(const char *dir, const char *key)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.hs", dir, key);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    hs_database_t *db = NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    long n = ftell(f);
    if (n <= 0 || fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n)) == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto out;
    if (hs_deserialize_database(buf, (size_t)n, &db) != HS_SUCCESS) {
        log_warning("rules", "%s: unusable Hyperscan cache file, compiling instead", path);
        db = NULL;
    }
out:
    free(buf);
    fclose(f);
    return db;
}

static void cache_write(const char *dir, const char *key, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t n = 0;
    char path[4096], tmp[4200];
    if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return;
    snprintf(path, sizeof(path), "%s/%s.hs", dir, key);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        log_warning("rules", "%s: cannot write the Hyperscan cache: %m", tmp);
    } else {
        bool ok = fwrite(bytes, 1, n, f) == n;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            log_warning("rules", "%s: cannot write the Hyperscan cache: %m", path);
            unlink(tmp);
        }
    }
    free(bytes);
}

/* Compile (or read from the cache) d as e->mpm[e->nmpm]; the caller records
 * where it goes (mpm_of or a port map). */
static int compile_db(struct det_engine *e, struct bdb *d, uint8_t cls, uint8_t buf, uint8_t grp, uint16_t pg,
                      const char *cache_dir, struct det_load_stats *st)
{
    struct det_mpm *m = &e->mpm[e->nmpm];
    memset(m, 0, sizeof(*m));
    m->cls = cls;
    m->buf = buf;
    m->grp = grp;
    m->pg = pg;
    m->npat = d->n;
    int rc = 0;
    char key[65];
    cache_key(d, key);
    hs_database_t *db = cache_dir ? cache_read(cache_dir, key) : NULL;
    const char **exprs = NULL;
    unsigned *flags = NULL, *ids = NULL;
    size_t *lens = NULL;
    if (db != NULL) {
        st->cache_hits++;
    } else {
        st->cache_misses++;
        exprs = malloc(d->n * sizeof(*exprs));
        flags = malloc(d->n * sizeof(*flags));
        ids = malloc(d->n * sizeof(*ids));
        lens = malloc(d->n * sizeof(*lens));
        if (exprs == NULL || flags == NULL || ids == NULL || lens == NULL) {
            rc = DET_ERR_NOMEM;
            goto out;
        }
        for (uint32_t i = 0; i < d->n; i++) {
            exprs[i] = (const char *)d->p[i].pat;
            lens[i] = d->p[i].len;
            flags[i] = HS_FLAG_SINGLEMATCH | (d->p[i].nocase ? HS_FLAG_CASELESS : 0);
            ids[i] = i;
        }
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi(exprs, flags, ids, lens, d->n, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
            log_error("rules", "Hyperscan: %s database (%u patterns): pattern %d: %s", det_buf_name(buf), d->n,
                      ce ? ce->expression : -1, ce ? ce->message : "compile failed");
            hs_free_compile_error(ce);
            rc = DET_ERR_INVAL;
            goto out;
        }
        if (cache_dir != NULL)
            cache_write(cache_dir, key, db);
    }
    m->db = db;
    hs_database_size(db, &m->db_bytes);
    /* pattern -> rules in the arena */
    uint32_t total = 0;
    for (uint32_t i = 0; i < d->n; i++)
        total += d->p[i].nrules;
    m->pat_off = det_arena_alloc(&e->arena, (d->n + 1) * sizeof(uint32_t));
    m->pat_rules = det_arena_alloc(&e->arena, (total ? total : 1) * sizeof(uint32_t));
    if (m->pat_off == NULL || m->pat_rules == NULL) {
        rc = DET_ERR_NOMEM;
        goto out;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        m->pat_off[i] = k;
        memcpy(m->pat_rules + k, d->p[i].rules, d->p[i].nrules * sizeof(uint32_t));
        k += d->p[i].nrules;
    }
    m->pat_off[d->n] = k;
    e->nmpm++;
    st->patterns += d->n;
out:
    free(exprs);
    free(flags);
    free(ids);
    free(lens);
    return rc;
}

/* Protocol groups a rule belongs to: ip/any rules go to all three. */
static unsigned rule_groups(const struct det_rule *r)
{
    switch (r->ipproto) {
    case IPPROTO_TCP: return 1u << DET_GRP_TCP;
    case IPPROTO_UDP: return 1u << DET_GRP_UDP;
    case 0:
        if (r->app != DET_APP_UNKNOWN && r->app != DET_APP_DNS)
            return 1u << DET_GRP_TCP;
        return 7u;
    default: return 1u << DET_GRP_OTHER;
    }
}

/* mkdir -p; 0 or -1 (errno set). */
static int make_dirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(p))
        return -1;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST)
                return -1;
            p[i] = c;
        }
    return 0;
}

int det_rule_class(const struct det_rule *r)
{
    uint32_t rf = r->flags;
    if (rf & DET_RF_HAS_APPBUF)
        return DET_CLS_APP;
    if ((rf & DET_RF_HAS_PAYLOAD) && !(rf & (DET_RF_HAS_PKT_KW | DET_RF_PKT_ONLY | DET_RF_NO_STREAM)))
        return DET_CLS_STREAM;
    return DET_CLS_PKT;
}

/* A port list short enough to key a port group (no exclusions). */
#define PG_MAX_PORTS 1024
static bool ports_narrow(const struct det_ports *p)
{
    if (p->any || p->nexc > 0 || p->ninc == 0)
        return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->ninc; i++)
        n += (uint32_t)p->inc[i].hi - p->inc[i].lo + 1;
    return n <= PG_MAX_PORTS;
}

/* Where a payload rule with a fast pattern goes: -1 the any-port database,
 * 0 keyed by its destination ports, 1 by its source ports. A bidirectional
 * rule may see its ports either way round, so it stays with any port. */
static int port_side(const struct det_rule *r)
{
    if (r->flags & DET_RF_BIDIR)
        return -1;
    if (ports_narrow(&r->dp))
        return 0;
    if (ports_narrow(&r->sp))
        return 1;
    return -1;
}

struct u32vec {
    uint32_t *v;
    uint32_t n, cap;
};

static int u32vec_push(struct u32vec *a, uint32_t x)
{
    if (a->n == a->cap) {
        uint32_t cap = a->cap ? a->cap * 2 : 64;
        uint32_t *nv = realloc(a->v, cap * sizeof(*nv));
        if (nv == NULL)
            return DET_ERR_NOMEM;
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static int bdb_add_fp(struct bdb *d, const struct det_rule *r, uint32_t idx)
{
    const struct det_list *l = &r->lists[r->fp_list];
    const struct det_content *c = &l->sm[r->fp_sm].u.c;
    return bdb_add(d, c->pat + c->fp_off, c->fp_len ? c->fp_len : c->len,
                   (l->sm[r->fp_sm].flags & DET_CF_NOCASE) != 0, idx);
}

/* One port-keyed family: the rules of (class, group, side) split into
 * databases by the exact set of rules each port sees. */
struct pgroup {
    struct bdb *dbs;
    uint32_t ndb;
    uint32_t *set_of_port;     /* 65536 entries: set index + 1, 0 none */
};

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool rule_has_port(const struct det_ports *p, uint32_t port)
{
    for (uint32_t i = 0; i < p->ninc; i++)
        if (port >= p->inc[i].lo && port <= p->inc[i].hi)
            return true;
    return false;
}

static int pgroup_build(struct pgroup *pg, const struct det_engine *e, const struct u32vec *rules, int side)
{
    int rc = DET_ERR_NOMEM;
    struct u32vec bounds = { 0 }, active = { 0 };
    uint32_t *set_first = NULL;   /* set k: (rule list in sets_ids from set_first[k], length set_len[k]) */
    uint32_t *set_len = NULL;
    struct u32vec sets_ids = { 0 };
    uint32_t nsets = 0;
    memset(pg, 0, sizeof(*pg));
    if (rules->n == 0)
        return 0;
    if ((pg->set_of_port = calloc(65536, sizeof(uint32_t))) == NULL)
        goto out;
    for (uint32_t i = 0; i < rules->n; i++) {
        const struct det_rule *r = e->rules[rules->v[i]];
        const struct det_ports *p = side ? &r->sp : &r->dp;
        for (uint32_t k = 0; k < p->ninc; k++)
            if (u32vec_push(&bounds, p->inc[k].lo) != 0 || u32vec_push(&bounds, (uint32_t)p->inc[k].hi + 1) != 0)
                goto out;
    }
    qsort(bounds.v, bounds.n, sizeof(uint32_t), u32_cmp);
    set_first = calloc(bounds.n, sizeof(uint32_t));
    set_len = calloc(bounds.n, sizeof(uint32_t));
    if (set_first == NULL || set_len == NULL)
        goto out;
    for (uint32_t b = 0; b + 1 < bounds.n; b++) {
        uint32_t lo = bounds.v[b], hi = bounds.v[b + 1];
        if (lo == hi)
            continue;
        active.n = 0;
        for (uint32_t i = 0; i < rules->n; i++) {
            const struct det_rule *r = e->rules[rules->v[i]];
            if (rule_has_port(side ? &r->sp : &r->dp, lo) && u32vec_push(&active, rules->v[i]) != 0)
                goto out;
        }
        if (active.n == 0)
            continue;
        uint32_t k = 0;
        for (; k < nsets; k++)
            if (set_len[k] == active.n &&
                memcmp(sets_ids.v + set_first[k], active.v, active.n * sizeof(uint32_t)) == 0)
                break;
        if (k == nsets) {
            set_first[k] = sets_ids.n;
            set_len[k] = active.n;
            for (uint32_t i = 0; i < active.n; i++)
                if (u32vec_push(&sets_ids, active.v[i]) != 0)
                    goto out;
            nsets++;
        }
        for (uint32_t port = lo; port < hi && port < 65536; port++)
            pg->set_of_port[port] = k + 1;
    }
    if ((pg->dbs = calloc(nsets ? nsets : 1, sizeof(*pg->dbs))) == NULL)
        goto out;
    pg->ndb = nsets;
    for (uint32_t k = 0; k < nsets; k++)
        for (uint32_t i = 0; i < set_len[k]; i++) {
            uint32_t idx = sets_ids.v[set_first[k] + i];
            if (bdb_add_fp(&pg->dbs[k], e->rules[idx], idx) != 0)
                goto out;
        }
    rc = 0;
out:
    free(bounds.v);
    free(active.v);
    free(sets_ids.v);
    free(set_first);
    free(set_len);
    return rc;
}

static void pgroup_fini(struct pgroup *pg)
{
    for (uint32_t k = 0; k < pg->ndb; k++)
        bdb_fini(&pg->dbs[k]);
    free(pg->dbs);
    free(pg->set_of_port);
}

/* The rules without a fast pattern of one (class, group): the address
 * index where a side is narrow, the always list for the rest. */
static int nofp_build(struct det_engine *e, struct det_nofp *nf, const struct u32vec *ids)
{
    int rc = DET_ERR_NOMEM;
    uint32_t *idx = malloc((ids->n + 1) * sizeof(uint32_t));
    uint8_t *side = malloc(ids->n + 1);
    nf->always = det_arena_alloc(&e->arena, (ids->n + 1) * sizeof(uint32_t));
    if (idx == NULL || side == NULL || nf->always == NULL)
        goto out;
    uint32_t ni = 0;
    for (uint32_t i = 0; i < ids->n; i++) {
        const struct det_rule *r = e->rules[ids->v[i]];
        bool ns = det_aidx_narrow(&r->src), nd = det_aidx_narrow(&r->dst);
        if (ns || nd) {
            /* the side covering fewer addresses */
            bool dst = !ns || (nd && det_aidx_cover(&r->dst, 4) + det_aidx_cover(&r->dst, 6) <
                                     det_aidx_cover(&r->src, 4) + det_aidx_cover(&r->src, 6));
            idx[ni] = ids->v[i];
            side[ni++] = dst;
        } else {
            nf->always[nf->nalways++] = ids->v[i];
        }
    }
    const struct det_rule *const *rules = (const struct det_rule *const *)e->rules;
    if (det_aidx_build(&nf->a4, &e->arena, 4, rules, idx, side, ni) != 0 ||
        det_aidx_build(&nf->a6, &e->arena, 6, rules, idx, side, ni) != 0)
        goto out;
    rc = 0;
out:
    free(idx);
    free(side);
    return rc;
}

int det_mpm_build(struct det_engine *e, const char *cache_dir, struct det_load_stats *st)
{
    if (cache_dir != NULL && make_dirs(cache_dir) != 0) {
        log_warning("rules", "%s: cannot create the Hyperscan cache directory (%m); compiling without a cache",
                    cache_dir);
        cache_dir = NULL;
    }
    struct bdb (*dbs)[DET_BUF_MAX][DET_GRP_MAX] = calloc(DET_CLS_MAX, sizeof(*dbs));
    struct u32vec nofp[DET_CLS_MAX][DET_GRP_MAX];
    struct u32vec keyed[2][2][DET_CLS_MAX];       /* [tcp/udp][dport/sport][class] */
    struct pgroup pgs[2][2][DET_CLS_MAX];
    int rc = DET_ERR_NOMEM;
    memset(nofp, 0, sizeof(nofp));
    memset(keyed, 0, sizeof(keyed));
    memset(pgs, 0, sizeof(pgs));
    if (dbs == NULL)
        return DET_ERR_NOMEM;
    for (int c = 0; c < DET_CLS_MAX; c++)
        for (int b = 0; b < DET_BUF_MAX; b++)
            for (int g = 0; g < DET_GRP_MAX; g++)
                e->mpm_of[c][b][g] = -1;
    e->tx_rules = det_arena_alloc(&e->arena, (e->nrules + 1) * sizeof(uint32_t));
    if (e->tx_rules == NULL)
        goto out;
    for (uint32_t i = 0; i < e->nrules; i++) {
        const struct det_rule *r = e->rules[i];
        unsigned groups = rule_groups(r);
        if (r->flags & DET_RF_TX)
            e->tx_rules[e->ntx++] = i;
        int cls = det_rule_class(r);
        for (uint16_t k = 0; k < r->nlist; k++)
            e->buf_used |= 1ull << r->lists[k].buf;
        int side = r->fp_list >= 0 && r->lists[r->fp_list].buf == DET_BUF_PAYLOAD && cls != DET_CLS_APP
                       ? port_side(r) : -1;
        for (int g = 0; g < DET_GRP_MAX; g++) {
            if (!(groups & (1u << g)))
                continue;
            if (r->fp_list < 0) {
                if (u32vec_push(&nofp[cls][g], i) != 0)
                    goto out;
            } else if (side >= 0 && g != DET_GRP_OTHER) {
                if (u32vec_push(&keyed[g][side][cls], i) != 0)
                    goto out;
                st->rules_port_mpm += g == 0 || !(groups & 1u);
            } else if (bdb_add_fp(&dbs[cls][r->lists[r->fp_list].buf][g], r, i) != 0) {
                goto out;
            }
        }
        if (r->fp_list >= 0)
            st->rules_mpm++;
        else if (det_aidx_narrow(&r->src) || det_aidx_narrow(&r->dst))
            st->rules_addr_index++;
    }
    uint32_t ndb = 0;
    for (int c = 0; c < DET_CLS_MAX; c++)
        for (int b = 0; b < DET_BUF_MAX; b++)
            for (int g = 0; g < DET_GRP_MAX; g++)
                ndb += dbs[c][b][g].n > 0;
    for (int g = 0; g < 2; g++)
        for (int sd = 0; sd < 2; sd++)
            for (int c = 0; c < DET_CLS_MAX; c++) {
                if (pgroup_build(&pgs[g][sd][c], e, &keyed[g][sd][c], sd) != 0)
                    goto out;
                ndb += pgs[g][sd][c].ndb;
            }
    e->mpm = calloc(ndb ? ndb : 1, sizeof(*e->mpm));
    if (e->mpm == NULL)
        goto out;
    rc = 0;
    for (int c = 0; c < DET_CLS_MAX && rc == 0; c++)
        for (int b = 0; b < DET_BUF_MAX && rc == 0; b++)
            for (int g = 0; g < DET_GRP_MAX && rc == 0; g++)
                if (dbs[c][b][g].n > 0) {
                    e->mpm_of[c][b][g] = (int32_t)e->nmpm;
                    rc = compile_db(e, &dbs[c][b][g], (uint8_t)c, (uint8_t)b, (uint8_t)g, DET_PG_ANY,
                                    cache_dir, st);
                }
    for (int g = 0; g < 2 && rc == 0; g++)
        for (int sd = 0; sd < 2 && rc == 0; sd++)
            for (int c = 0; c < DET_CLS_MAX && rc == 0; c++) {
                struct pgroup *pg = &pgs[g][sd][c];
                if (pg->ndb == 0)
                    continue;
                uint32_t first = e->nmpm;
                for (uint32_t k = 0; k < pg->ndb && rc == 0; k++)
                    rc = compile_db(e, &pg->dbs[k], (uint8_t)c, DET_BUF_PAYLOAD, (uint8_t)g,
                                    (uint16_t)(1 + k), cache_dir, st);
                uint16_t *map = det_arena_alloc(&e->arena, 65536 * sizeof(uint16_t));
                if (rc != 0 || map == NULL) {
                    rc = rc ? rc : DET_ERR_NOMEM;
                    break;
                }
                for (uint32_t port = 0; port < 65536; port++)
                    map[port] = pg->set_of_port[port] ? (uint16_t)(first + pg->set_of_port[port]) : 0;
                e->port_map[g][sd][c] = map;
            }
    for (int c = 0; c < DET_CLS_MAX && rc == 0; c++)
        for (int g = 0; g < DET_GRP_MAX && rc == 0; g++)
            rc = nofp_build(e, &e->nofp[c][g], &nofp[c][g]);
    st->databases = e->nmpm;
out:
    for (int c = 0; c < DET_CLS_MAX; c++)
        for (int b = 0; b < DET_BUF_MAX; b++)
            for (int g = 0; g < DET_GRP_MAX; g++)
                bdb_fini(&dbs[c][b][g]);
    for (int c = 0; c < DET_CLS_MAX; c++)
        for (int g = 0; g < DET_GRP_MAX; g++)
            free(nofp[c][g].v);
    for (int g = 0; g < 2; g++)
        for (int sd = 0; sd < 2; sd++)
            for (int c = 0; c < DET_CLS_MAX; c++) {
                free(keyed[g][sd][c].v);
                pgroup_fini(&pgs[g][sd][c]);
            }
    free(dbs);
    return rc;
}

void det_mpm_free(struct det_engine *e)
{
    for (uint32_t i = 0; i < e->nmpm; i++)
        hs_free_database(e->mpm[i].db);
    free(e->mpm);
    e->mpm = NULL;
    e->nmpm = 0;
}
