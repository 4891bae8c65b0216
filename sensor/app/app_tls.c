/* app_tls: ClientHello / ServerHello of a TLS stream: SNI (tls.sni), JA3
 * (ja3.hash, ja3.string) and JA3S (ja3s.hash), computed here so that they
 * exist before nDPI's verdict and on flows nDPI gave up on. JA3 drops GREASE
 * values (RFC 8701) as the reference implementation does. Every read is
 * bounds-checked; the hello may span several records (reassembled by the
 * caller into one buffer).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "app/app_private.h"

#define APP_TLS_HS_MAX 16384   /* handshake message bytes we read */

struct app_tls_rd {
    const uint8_t *d;
    size_t n, p;
    bool bad;
};

static uint32_t rd_u(struct app_tls_rd *r, int bytes)
{
    uint32_t v = 0;

    if (r->bad || r->p + (size_t)bytes > r->n) {
        r->bad = true;
        return 0;
    }
    for (int i = 0; i < bytes; i++)
        v = v << 8 | r->d[r->p++];
    return v;
}

static void rd_skip(struct app_tls_rd *r, size_t k)
{
    if (r->bad || r->p + k > r->n)
        r->bad = true;
    else
        r->p += k;
}

static bool app_tls_grease(uint32_t v)
{
    return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu);
}

/* Append ",", or "-" between list items, and a number to the JA3 string. */
static void ja3_num(struct app_tls_hello *h, bool *first, uint32_t v)
{
    size_t room = sizeof(h->ja3_str) - h->ja3_str_len;
    int k = snprintf(h->ja3_str + h->ja3_str_len, room, "%s%u", *first ? "" : "-", v);

    if (k > 0 && (size_t)k < room)
        h->ja3_str_len += (uint32_t)k;
    *first = false;
}

static void ja3_sep(struct app_tls_hello *h, bool *first)
{
    if (h->ja3_str_len + 1 < sizeof(h->ja3_str))
        h->ja3_str[h->ja3_str_len++] = ',';
    h->ja3_str[h->ja3_str_len] = '\0';
    *first = true;
}

/* Gather the handshake message from the records into buf; 1 done, 0 more
 * bytes needed, -1 not TLS handshake. */
static int app_tls_gather(const uint8_t *d, size_t n, uint8_t *buf, size_t *blen)
{
    size_t p = 0, have = 0, need = 0;

    while (p + 5 <= n) {
        if (d[p] != 0x16 || d[p + 1] != 0x03)
            return -1;
        size_t rl = (size_t)d[p + 3] << 8 | d[p + 4];
        size_t take = rl;
        if (p + 5 + take > n)
            take = n - p - 5;
        if (have + take > APP_TLS_HS_MAX)
            take = APP_TLS_HS_MAX - have;
        memcpy(buf + have, d + p + 5, take);
        have += take;
        if (need == 0 && have >= 4)
            need = 4 + ((size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]);
        if (need > 0 && (have >= need || have >= APP_TLS_HS_MAX)) {
            *blen = have;
            return 1;
        }
        if (p + 5 + rl > n)
            return 0;
        p += 5 + rl;
    }
    return 0;
}

static void app_tls_md5(struct app_tls_hello *h)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;

    if (EVP_Digest(h->ja3_str, h->ja3_str_len, md, &ml, EVP_md5(), NULL) != 1 || ml != 16) {
        h->ja3[0] = '\0';
        return;
    }
    for (unsigned i = 0; i < 16; i++)
        snprintf(h->ja3 + 2 * i, 3, "%02x", md[i]);
}

static void app_tls_exts(struct app_tls_rd *r, bool client, struct app_tls_hello *h,
                         uint32_t *curves, int *ncurves, uint32_t *fmts, int *nfmts)
{
    bool first = true;
    size_t total = rd_u(r, 2);
    size_t end = r->p + total;

    if (r->bad || end > r->n)
        return;
    while (!r->bad && r->p + 4 <= end) {
        uint32_t type = rd_u(r, 2), len = rd_u(r, 2);
        size_t next = r->p + len;
        if (next > end)
            break;
        if (!app_tls_grease(type))
            ja3_num(h, &first, type);
        if (client && type == 0 && len >= 5) {            /* server_name */
            rd_skip(r, 2);
            uint32_t nt = rd_u(r, 1), nl = rd_u(r, 2);
            if (!r->bad && nt == 0 && r->p + nl <= next && nl < APP_TLS_SNI_MAX) {
                memcpy(h->sni, r->d + r->p, nl);
                h->sni[nl] = '\0';
                h->sni_len = nl;
            }
        } else if (client && type == 10 && len >= 2) {    /* supported_groups */
            uint32_t gl = rd_u(r, 2);
            for (uint32_t i = 0; i + 2 <= gl && r->p + 2 <= next && *ncurves < 64; i += 2) {
                uint32_t g = rd_u(r, 2);
                if (!app_tls_grease(g))
                    curves[(*ncurves)++] = g;
            }
        } else if (client && type == 11 && len >= 1) {    /* ec_point_formats */
            uint32_t fl = rd_u(r, 1);
            for (uint32_t i = 0; i < fl && r->p < next && *nfmts < 16; i++)
                fmts[(*nfmts)++] = rd_u(r, 1);
        }
        r->p = next;
    }
}

int app_tls_parse_hello(const uint8_t *d, size_t n, bool client, struct app_tls_hello *out)
{
    static __thread uint8_t hs[APP_TLS_HS_MAX];
    uint32_t curves[64], fmts[16];
    int ncurves = 0, nfmts = 0;
    size_t hl = 0;
    bool first = true;

    memset(out, 0, sizeof(*out));
    int g = app_tls_gather(d, n, hs, &hl);
    if (g <= 0)
        return g;
    struct app_tls_rd r = { hs, hl, 0, false };
    if (rd_u(&r, 1) != (client ? 1u : 2u))
        return -1;
    rd_skip(&r, 3);
    ja3_num(out, &first, rd_u(&r, 2));                     /* legacy version */
    ja3_sep(out, &first);
    rd_skip(&r, 32);                                       /* random */
    rd_skip(&r, rd_u(&r, 1));                              /* session id */
    if (client) {
        uint32_t cl = rd_u(&r, 2);
        for (uint32_t i = 0; i + 2 <= cl && !r.bad; i += 2) {
            uint32_t c = rd_u(&r, 2);
            if (!app_tls_grease(c))
                ja3_num(out, &first, c);
        }
        rd_skip(&r, rd_u(&r, 1));                          /* compression methods */
    } else {
        ja3_num(out, &first, rd_u(&r, 2));                 /* chosen cipher */
        rd_skip(&r, 1);
    }
    if (r.bad)
        return -1;
    ja3_sep(out, &first);
    if (r.p < r.n)
        app_tls_exts(&r, client, out, curves, &ncurves, fmts, &nfmts);
    if (client) {
        ja3_sep(out, &first);
        for (int i = 0; i < ncurves; i++)
            ja3_num(out, &first, curves[i]);
        ja3_sep(out, &first);
        for (int i = 0; i < nfmts; i++)
            ja3_num(out, &first, fmts[i]);
    }
    out->ja3_str[out->ja3_str_len] = '\0';
    app_tls_md5(out);
    return 1;
}
