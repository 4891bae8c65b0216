/* bench_detect_naive: the naive matching cost for bench-detect. Loads a rule
 * file with the real loader, puts every rule's fast pattern (the one the
 * engine prefilters on, with its fast_pattern:off,len chop and the engine's
 * single-match flag, so only the grouping differs) into ONE Hyperscan block
 * database, then scans the
 * L4 payload of every packet of a capture against it (payloads decoded by
 * the sensor's decoder, held in memory so only the scan is timed).
 * Prints "patterns=N packets=N bytes=N seconds=S matches=N".
 *   bench_detect_naive RULES PCAP
 */
#include <hs/hs.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "detect/det_private.h"

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl, void *ctx)
{
    (void)id;
    (void)from;
    (void)to;
    (void)fl;
    (*(uint64_t *)ctx)++;
    return 0;
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    const char *files[1];
    struct det_load_stats st;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: bench_detect_naive RULES PCAP\n");
        return 2;
    }
    files[0] = argv[1];
    struct cfg *c = cfg_new();
    if (c == NULL || det_cfg_schema(c) != 0 || cfg_set(c, "detect.sgh-mpm-caching=no") != 0)
        return 1;
    struct det_engine *e = det_engine_load(c, files, 1, NULL, &st);
    if (e == NULL)
        return 1;
    const char **pats = calloc(e->nrules, sizeof(char *));
    size_t *lens = calloc(e->nrules, sizeof(size_t));
    unsigned *flags = calloc(e->nrules, sizeof(unsigned)), *ids = calloc(e->nrules, sizeof(unsigned));
    unsigned n = 0;
    for (uint32_t i = 0; i < e->nrules; i++) {
        const struct det_rule *r = e->rules[i];
        if (r->fp_list < 0)
            continue;
        const struct det_sm *sm = &r->lists[r->fp_list].sm[r->fp_sm];
        /* the engine's prefilter pattern: the fast_pattern:off,len chop, one
         * match per pattern and scan (the engine only needs candidates) */
        pats[n] = (const char *)sm->u.c.pat + sm->u.c.fp_off;
        lens[n] = sm->u.c.fp_len ? sm->u.c.fp_len : sm->u.c.len;
        flags[n] = HS_FLAG_SINGLEMATCH | ((sm->flags & DET_CF_NOCASE) ? HS_FLAG_CASELESS : 0);
        ids[n] = n;
        n++;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (hs_compile_lit_multi(pats, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "hyperscan: %s\n", ce != NULL ? ce->message : "?");
        goto out;
    }
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db, &scratch);

    pcap_t *pc = pcap_open_offline(argv[2], errbuf);
    if (pc == NULL) {
        fprintf(stderr, "%s\n", errbuf);
        goto out;
    }
    /* payloads into one arena: offsets + lengths */
    size_t cap = 1 << 26, used = 0, np = 0, capn = 1 << 20;
    uint8_t *arena = malloc(cap);
    uint32_t *plen = malloc(capn * sizeof(uint32_t));
    struct pcap_pkthdr *h;
    const u_char *data;
    struct packet p;
    struct dec_stats ds;
    memset(&ds, 0, sizeof(ds));
    uint64_t pkts = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        pkts++;
        if (dec_packet(&p, &ds, pcap_datalink(pc), data, h->caplen, h->len, h->ts, false) != DEC_OK ||
            p.payload_len == 0)
            continue;
        if (used + p.payload_len > cap) {
            cap *= 2;
            arena = realloc(arena, cap);
        }
        if (np == capn) {
            capn *= 2;
            plen = realloc(plen, capn * sizeof(uint32_t));
        }
        memcpy(arena + used, p.payload, p.payload_len);
        used += p.payload_len;
        plen[np++] = p.payload_len;
    }
    pcap_close(pc);
    uint64_t matches = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t off = 0;
    for (size_t i = 0; i < np; i++) {
        hs_scan(db, (const char *)arena + off, plen[i], 0, scratch, on_match, &matches);
        off += plen[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("patterns=%u packets=%llu payloads=%zu bytes=%zu seconds=%.6f matches=%llu\n", n,
           (unsigned long long)pkts, np, used, sec, (unsigned long long)matches);
    free(arena);
    free(plen);
    hs_free_scratch(scratch);
    hs_free_database(db);
    rc = 0;
out:
    free(pats);
    free(lens);
    free(flags);
    free(ids);
    det_engine_free(e);
    cfg_free(c);
    return rc;
}
