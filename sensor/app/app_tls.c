/* app_tls: the TLS handshake of a flow, in the clear part only:
 * ClientHello / ServerHello (SNI for tls.sni, JA3 and JA3S, the negotiated
 * version) and the server's Certificate message (TLS 1.0-1.2; TLS 1.3
 * encrypts it), whose leaf certificate OpenSSL decodes (d2i_X509) into
 * subject, issuer, serial, validity and SHA-1 fingerprint in Suricata's
 * forms. Records and handshake messages are reassembled across deliveries;
 * at most APP_TLS_HS_MAX bytes of a message are kept (a longer one is read
 * up to there). JA3 drops GREASE values (RFC 8701) as the reference does.
 * Every read is bounds-checked (fuzzed by fuzz_app).
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "app/app_private.h"



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

/* Append ",", or "-" between list items, and a number to the JA3 string.
 * By hand, with snprintf's truncation (a call to it was ~900 instructions,
 * several per handshake: ~1.5% of the sensor on the bench capture). */
static void ja3_num(struct app_tls_hello *h, bool *first, uint32_t v)
{
    size_t room = sizeof(h->ja3_str) - h->ja3_str_len, k, c;
    char t[12], *p = t + sizeof(t);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (!*first)
        *--p = '-';
    k = (size_t)(t + sizeof(t) - p);
    c = k < room ? k : room - 1;
    memcpy(h->ja3_str + h->ja3_str_len, p, c);
    h->ja3_str[h->ja3_str_len + c] = '\0';
    if (k < room)
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
    for (unsigned i = 0; i < 16; i++) {
        h->ja3[2 * i] = "0123456789abcdef"[md[i] >> 4];
        h->ja3[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    h->ja3[32] = '\0';
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
        } else if (!client && type == 43 && len == 2) {   /* supported_versions: selected */
            h->version = (uint16_t)rd_u(r, 2);
        }
        r->p = next;
    }
}

/* One handshake message (type, 24-bit length, body: hs[0..hl)). */
static int app_tls_hello_msg(const uint8_t *hs, size_t hl, bool client, struct app_tls_hello *out)
{
    uint32_t curves[64], fmts[16];
    int ncurves = 0, nfmts = 0;
    bool first = true;

    memset(out, 0, sizeof(*out));
    struct app_tls_rd r = { hs, hl, 0, false };
    if (rd_u(&r, 1) != (client ? 1u : 2u))
        return -1;
    rd_skip(&r, 3);
    out->version = (uint16_t)rd_u(&r, 2);                  /* legacy version */
    ja3_num(out, &first, out->version);
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

int app_tls_parse_hello(const uint8_t *d, size_t n, bool client, struct app_tls_hello *out)
{
    static __thread uint8_t hs[APP_TLS_HS_MAX];
    size_t hl = 0;

    memset(out, 0, sizeof(*out));
    int g = app_tls_gather(d, n, hs, &hl);
    if (g <= 0)
        return g;
    return app_tls_hello_msg(hs, hl, client, out);
}

/* ---- the leaf certificate ---- */

static void cert_hex(char *out, size_t cap, uint32_t *len, const uint8_t *b, size_t n, bool upper)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 4 <= cap; i++)
        k += (size_t)snprintf(out + k, cap - k, upper ? "%s%02X" : "%s%02x", i ? ":" : "", b[i]);
    out[k < cap ? k : cap - 1] = '\0';
    *len = (uint32_t)strlen(out);
}

/* "C=US, O=Example, CN=www.example.com": RDNs in certificate order, short
 * names, ", " between them, UTF-8, control bytes escaped (Suricata's form). */
static void cert_name(const X509_NAME *nm, char *out, size_t cap, uint32_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    *len = 0;
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
                                         ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_ESC_CTRL) >= 0 &&
        (n = BIO_get_mem_data(b, &p)) > 0 && p != NULL) {
        size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        memcpy(out, p, k);
        out[k] = '\0';
        *len = (uint32_t)k;
    }
    BIO_free(b);
}

static void cert_time(const ASN1_TIME *t, char *out, size_t cap, uint32_t *len)
{
    struct tm tm;

    out[0] = '\0';
    *len = 0;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    int k = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    *len = k > 0 && (size_t)k < cap ? (uint32_t)k : 0;
}

static int tls_cert_decode(const uint8_t *der, size_t n, struct app_tls_cert *out)
{
    const unsigned char *p = der;
    unsigned char md[EVP_MAX_MD_SIZE], *ser = NULL;
    unsigned int ml = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    X509 *x = d2i_X509(NULL, &p, (long)n);
    if (x == NULL)
        goto out;
    cert_name(X509_get_subject_name(x), out->subject, sizeof(out->subject), &out->subject_len);
    cert_name(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer), &out->issuer_len);
    /* the serial's DER content octets (a leading 00 kept), as Suricata prints it */
    int sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
    if (sl > 2 && ser != NULL) {
        size_t hdr = 2;
        if (ser[1] & 0x80)
            hdr += ser[1] & 0x7f;
        if ((size_t)sl > hdr)
            cert_hex(out->serial, sizeof(out->serial), &out->serial_len, ser + hdr, (size_t)sl - hdr, true);
    }
    if (X509_digest(x, EVP_sha1(), md, &ml) == 1)
        cert_hex(out->fingerprint, sizeof(out->fingerprint), &out->fingerprint_len, md, ml, false);
    cert_time(X509_get0_notBefore(x), out->notbefore, sizeof(out->notbefore), &out->notbefore_len);
    cert_time(X509_get0_notAfter(x), out->notafter, sizeof(out->notafter), &out->notafter_len);
    rc = 0;
out:
    OPENSSL_free(ser);
    X509_free(x);
    return rc;
}

/* Decoded leaves, per worker thread (no lock, nothing shared): the same
 * servers present the same certificate over and over, and d2i_X509 (which
 * also decodes the public key through OpenSSL 3's provider lookups) costs
 * far more than a hash and a compare. 4-way set-associative, least recently
 * used out; a hit compares the whole DER, so a crafted collision cannot
 * borrow another certificate's fields. */
#define TLS_CERT_SETS 16
#define TLS_CERT_WAYS 4
#define TLS_CERT_CACHE_DER 4096
struct tls_cert_slot {
    uint32_t der_len;           /* 0: empty */
    uint32_t used;              /* clock of the last hit or fill */
    uint8_t der[TLS_CERT_CACHE_DER];
    struct app_tls_cert cert;
};
struct tls_cert_cache {
    uint32_t clock;
    struct tls_cert_slot slot[TLS_CERT_SETS * TLS_CERT_WAYS];
};
static pthread_key_t tls_cert_key;
static pthread_once_t tls_cert_once = PTHREAD_ONCE_INIT;
static bool tls_cert_key_ok;

static void tls_cert_key_init(void)
{
    tls_cert_key_ok = pthread_key_create(&tls_cert_key, free) == 0;
}

/* This thread's cache (freed when the thread ends), NULL without memory. */
static struct tls_cert_cache *tls_cert_cache(void)
{
    struct tls_cert_cache *c;

    pthread_once(&tls_cert_once, tls_cert_key_init);
    if (!tls_cert_key_ok)
        return NULL;
    c = pthread_getspecific(tls_cert_key);
    if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL &&
        pthread_setspecific(tls_cert_key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

int app_tls_parse_cert(const uint8_t *der, size_t n, struct app_tls_cert *out)
{
    uint64_t h = 1469598103934665603ull;
    struct tls_cert_slot *victim = NULL;
    struct tls_cert_cache *c = NULL;

    if (n > 0 && n <= TLS_CERT_CACHE_DER && (c = tls_cert_cache()) != NULL) {
        for (size_t i = 0; i < n; i++)
            h = (h ^ der[i]) * 1099511628211ull;
        struct tls_cert_slot *set = &c->slot[(h % TLS_CERT_SETS) * TLS_CERT_WAYS];
        c->clock++;
        for (int w = 0; w < TLS_CERT_WAYS; w++) {
            struct tls_cert_slot *e = &set[w];
            if (e->der_len == n && memcmp(e->der, der, n) == 0) {
                e->used = c->clock;
                *out = e->cert;
                return 0;
            }
            if (victim == NULL || e->der_len == 0 ||
                (victim->der_len != 0 && e->used < victim->used))
                victim = e;
        }
    }
    if (tls_cert_decode(der, n, out) != 0)
        return -1;
    if (victim != NULL) {
        victim->der_len = (uint32_t)n;
        victim->used = c->clock;
        memcpy(victim->der, der, n);
        victim->cert = *out;
    }
    return 0;
}

/* ---- the handshake of a flow ---- */

struct app_tls_dir {
    uint8_t rec_hdr[5];
    uint8_t rec_hdr_have;
    uint32_t rec_left;          /* bytes of the current record's body still to come */
    uint8_t hs_hdr[4];
    uint8_t hs_hdr_have;
    uint32_t hs_len, hs_got;    /* current handshake message: body length, bytes seen */
    uint8_t *msg;               /* header + body up to APP_TLS_HS_MAX */
    uint32_t msg_len;
    bool done;
};

struct app_tls_conn {
    struct app_tls_dir d[2];
    struct app_tls_state st;
    bool finished;              /* APP_TLS_EV_CERT or APP_TLS_EV_DONE was raised */
};

size_t app_tls_conn_size(void)
{
    return sizeof(struct app_tls_conn);
}

/* Only the parse state is reset: the hellos and the certificate (~10 KB of
 * text) are each written whole (app_tls_hello_msg, app_tls_parse_cert clear
 * their output first) before the have_* flag that lets anything read them. */
struct app_tls_conn *app_tls_conn_init(void *mem)
{
    struct app_tls_conn *c = mem;

    memset(c->d, 0, sizeof(c->d));
    c->st.have_ch = c->st.have_sh = c->st.have_cert = false;
    c->st.version = 0;
    c->st.cert_der = NULL;
    c->st.cert_der_len = 0;
    c->finished = false;
    return c;
}

void app_tls_conn_fini(struct app_tls_conn *c)
{
    if (c == NULL)
        return;
    free(c->d[0].msg);
    free(c->d[1].msg);
    c->d[0].msg = c->d[1].msg = NULL;
}

struct app_tls_conn *app_tls_conn_new(void)
{
    void *m = malloc(sizeof(struct app_tls_conn));

    return m != NULL ? app_tls_conn_init(m) : NULL;
}

void app_tls_conn_free(struct app_tls_conn *c)
{
    app_tls_conn_fini(c);
    free(c);
}

const struct app_tls_state *app_tls_conn_state(const struct app_tls_conn *c)
{
    return &c->st;
}

bool app_tls_conn_finished(const struct app_tls_conn *c)
{
    return c->finished;
}

static void app_tls_finish(struct app_tls_conn *c, app_tls_fn fn, void *arg, enum app_tls_ev ev)
{
    if (c->finished)
        return;
    c->finished = true;
    c->d[1].done = true;
    fn(arg, 1, ev, &c->st);
}

/* A complete handshake message m[0..n) of dir (cut to APP_TLS_HS_MAX). */
static void app_tls_msg(struct app_tls_conn *c, int dir, const uint8_t *m, size_t n,
                        app_tls_fn fn, void *arg)
{
    struct app_tls_state *st = &c->st;

    if (dir == 0) {
        if (m[0] == 1 && !st->have_ch && app_tls_hello_msg(m, n, true, &st->ch) == 1) {
            st->have_ch = true;
            fn(arg, 0, APP_TLS_EV_CLIENT_HELLO, st);
        }
        c->d[0].done = true;        /* nothing else of the client is read */
        return;
    }
    switch (m[0]) {
    case 2:     /* ServerHello */
        if (!st->have_sh && app_tls_hello_msg(m, n, false, &st->sh) == 1) {
            st->have_sh = true;
            st->version = st->sh.version;
            fn(arg, 1, APP_TLS_EV_SERVER_HELLO, st);
            if (st->version >= 0x0304)
                app_tls_finish(c, fn, arg, APP_TLS_EV_DONE);   /* the rest is encrypted */
        }
        break;
    case 11: {  /* Certificate: list length, then each certificate's length + DER */
        size_t cl = n >= 10 ? ((size_t)m[7] << 16 | (size_t)m[8] << 8 | m[9]) : 0;
        if (n >= 10 && cl > 0 && 10 + cl <= n &&
            app_tls_parse_cert(m + 10, cl, &st->cert) == 0) {
            st->have_cert = true;
            st->cert_der = m + 10;
            st->cert_der_len = (uint32_t)cl;
        }
        app_tls_finish(c, fn, arg, st->have_cert ? APP_TLS_EV_CERT : APP_TLS_EV_DONE);
        st->cert_der = NULL;
        st->cert_der_len = 0;
        break;
    }
    case 14:    /* ServerHelloDone without a certificate (anonymous, PSK) */
        app_tls_finish(c, fn, arg, APP_TLS_EV_DONE);
        break;
    default:
        break;
    }
}

/* Body bytes of a handshake record: reassemble the messages. */
static int app_tls_hs_bytes(struct app_tls_conn *c, int dir, const uint8_t *d, size_t n,
                            app_tls_fn fn, void *arg)
{
    struct app_tls_dir *s = &c->d[dir];

    while (n > 0 && !s->done) {
        if (s->hs_hdr_have < 4) {
            s->hs_hdr[s->hs_hdr_have++] = *d++;
            n--;
            if (s->hs_hdr_have < 4)
                continue;
            s->hs_len = (uint32_t)s->hs_hdr[1] << 16 | (uint32_t)s->hs_hdr[2] << 8 | s->hs_hdr[3];
            s->hs_got = 0;
            size_t keep = 4 + (s->hs_len < APP_TLS_HS_MAX - 4 ? s->hs_len : APP_TLS_HS_MAX - 4);
            free(s->msg);
            if ((s->msg = malloc(keep)) == NULL)
                return -1;
            memcpy(s->msg, s->hs_hdr, 4);
            s->msg_len = 4;
        }
        size_t take = s->hs_len - s->hs_got < n ? s->hs_len - s->hs_got : n;
        size_t room = APP_TLS_HS_MAX - s->msg_len;
        memcpy(s->msg + s->msg_len, d, take < room ? take : room);
        s->msg_len += (uint32_t)(take < room ? take : room);
        s->hs_got += (uint32_t)take;
        d += take;
        n -= take;
        if (s->hs_got < s->hs_len)
            break;
        app_tls_msg(c, dir, s->msg, s->msg_len, fn, arg);
        free(s->msg);
        s->msg = NULL;
        s->hs_hdr_have = 0;
    }
    return 0;
}

void app_tls_conn_data(struct app_tls_conn *c, int dir, const uint8_t *d, size_t n,
                       app_tls_fn fn, void *arg)
{
    struct app_tls_dir *s = &c->d[dir];

    while (n > 0 && !s->done) {
        if (s->rec_left == 0) {
            s->rec_hdr[s->rec_hdr_have++] = *d++;
            n--;
            if (s->rec_hdr_have < 5)
                continue;
            s->rec_hdr_have = 0;
            s->rec_left = (uint32_t)s->rec_hdr[3] << 8 | s->rec_hdr[4];
            if (s->rec_hdr[1] != 3 || s->rec_hdr[0] < 20 || s->rec_hdr[0] > 23 || s->rec_left == 0) {
                s->done = true;           /* not TLS (or SSLv2): stop reading */
                break;
            }
            if (s->rec_hdr[0] != 22) {    /* ChangeCipherSpec, alert, data: encrypted from here */
                s->done = true;
                if (dir == 1 && c->st.have_sh)
                    app_tls_finish(c, fn, arg, APP_TLS_EV_DONE);
                break;
            }
            continue;
        }
        size_t take = s->rec_left < n ? s->rec_left : n;
        if (app_tls_hs_bytes(c, dir, d, take, fn, arg) != 0)
            s->done = true;
        s->rec_left -= (uint32_t)take;
        d += take;
        n -= take;
    }
    if (s->done) {
        free(s->msg);
        s->msg = NULL;
    }
}

bool app_tls_conn_idle(const struct app_tls_conn *c)
{
    return c->d[0].done && c->d[1].done;
}

static const char *app_tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0200: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv1";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: return v != 0 ? "UNDETERMINED" : NULL;
    }
}

static struct eve_bytes app_tls_eb(const char *s, uint32_t n)
{
    return (struct eve_bytes){ (const uint8_t *)s, n };
}

void app_tls_eve(const struct app_tls_state *st, struct eve_tls *out)
{
    memset(out, 0, sizeof(*out));
    if (st->have_ch) {
        out->sni = app_tls_eb(st->ch.sni, st->ch.sni_len);
        out->ja3 = app_tls_eb(st->ch.ja3, (uint32_t)strlen(st->ch.ja3));
        out->ja3_string = app_tls_eb(st->ch.ja3_str, st->ch.ja3_str_len);
    }
    if (st->have_sh) {
        out->ja3s = app_tls_eb(st->sh.ja3, (uint32_t)strlen(st->sh.ja3));
        out->ja3s_string = app_tls_eb(st->sh.ja3_str, st->sh.ja3_str_len);
    }
    const char *v = app_tls_version_name(st->version);
    if (v != NULL)
        out->version = app_tls_eb(v, (uint32_t)strlen(v));
    if (st->have_cert) {
        const struct app_tls_cert *c = &st->cert;
        out->subject = app_tls_eb(c->subject, c->subject_len);
        out->issuerdn = app_tls_eb(c->issuer, c->issuer_len);
        out->serial = app_tls_eb(c->serial, c->serial_len);
        out->fingerprint = app_tls_eb(c->fingerprint, c->fingerprint_len);
        out->notbefore = app_tls_eb(c->notbefore, c->notbefore_len);
        out->notafter = app_tls_eb(c->notafter, c->notafter_len);
    }
}
