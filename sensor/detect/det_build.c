/* det_build: one Hyperscan block-mode database per (buffer kind, IP protocol
 * group), made of each rule's fast pattern as a literal; identical patterns
 * are merged and map to every rule that chose them. A database is cached on
 * disk as hs_serialize_database() output, named by the sha256 of the
 * Hyperscan version and the exact pattern set, so an unchanged rule set
 * restarts without compiling. A bad or foreign cache file is ignored.
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

static int compile_db(struct det_engine *e, struct bdb *d, uint8_t buf, uint8_t grp, const char *cache_dir,
                      struct det_load_stats *st)
{
    struct det_mpm *m = &e->mpm[e->nmpm];
    memset(m, 0, sizeof(*m));
    m->buf = buf;
    m->grp = grp;
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
    e->mpm_of[buf][grp] = (int32_t)e->nmpm++;
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

int det_mpm_build(struct det_engine *e, const char *cache_dir, struct det_load_stats *st)
{
    if (cache_dir != NULL && make_dirs(cache_dir) != 0) {
        log_warning("rules", "%s: cannot create the Hyperscan cache directory (%m); compiling without a cache",
                    cache_dir);
        cache_dir = NULL;
    }
    struct bdb (*dbs)[DET_GRP_MAX] = calloc(DET_BUF_MAX, sizeof(*dbs));
    uint32_t *alw[DET_GRP_MAX] = { 0 };
    int rc = 0;
    if (dbs == NULL)
        return DET_ERR_NOMEM;
    for (int b = 0; b < DET_BUF_MAX; b++)
        for (int g = 0; g < DET_GRP_MAX; g++)
            e->mpm_of[b][g] = -1;
    for (int g = 0; g < DET_GRP_MAX; g++) {
        alw[g] = det_arena_alloc(&e->arena, (e->nrules + 1) * sizeof(uint32_t));
        if (alw[g] == NULL) {
            rc = DET_ERR_NOMEM;
            goto out;
        }
        e->always[g] = alw[g];
    }
    for (uint32_t i = 0; i < e->nrules; i++) {
        const struct det_rule *r = e->rules[i];
        unsigned groups = rule_groups(r);
        for (uint16_t k = 0; k < r->nlist; k++)
            e->buf_used |= 1ull << r->lists[k].buf;
        for (int g = 0; g < DET_GRP_MAX; g++) {
            if (!(groups & (1u << g)))
                continue;
            if (r->fp_list < 0) {
                alw[g][e->nalways[g]++] = i;
                continue;
            }
            const struct det_list *l = &r->lists[r->fp_list];
            const struct det_content *c = &l->sm[r->fp_sm].u.c;
            const uint8_t *pat = c->pat + c->fp_off;
            uint32_t len = c->fp_len ? c->fp_len : c->len;
            if (bdb_add(&dbs[l->buf][g], pat, len, (l->sm[r->fp_sm].flags & DET_CF_NOCASE) != 0, i) != 0) {
                rc = DET_ERR_NOMEM;
                goto out;
            }
        }
        if (r->fp_list >= 0)
            st->rules_mpm++;
    }
    uint32_t ndb = 0;
    for (int b = 0; b < DET_BUF_MAX; b++)
        for (int g = 0; g < DET_GRP_MAX; g++)
            ndb += dbs[b][g].n > 0;
    e->mpm = calloc(ndb ? ndb : 1, sizeof(*e->mpm));
    if (e->mpm == NULL) {
        rc = DET_ERR_NOMEM;
        goto out;
    }
    for (int b = 0; b < DET_BUF_MAX && rc == 0; b++)
        for (int g = 0; g < DET_GRP_MAX && rc == 0; g++)
            if (dbs[b][g].n > 0)
                rc = compile_db(e, &dbs[b][g], (uint8_t)b, (uint8_t)g, cache_dir, st);
    st->databases = e->nmpm;
out:
    for (int b = 0; b < DET_BUF_MAX; b++)
        for (int g = 0; g < DET_GRP_MAX; g++)
            bdb_fini(&dbs[b][g]);
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
