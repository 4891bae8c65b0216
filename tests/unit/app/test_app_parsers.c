/* Unit tests of the app-layer parsers (sensor/app): DNS question, TLS
 * ClientHello/ServerHello (SNI, JA3/JA3S), HTTP through libhtp (buffers per
 * direction, normalization, chunked and gzip bodies, split input, request
 * body inflation), and the protocol guess.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "app/app_private.h"
#include "../runner.h"

/* ---- DNS ---- */

static size_t dns_query(uint8_t *out, const char *labels, uint16_t flags)
{
    size_t n = 0;
    const uint8_t hdr[12] = { 0x12, 0x34, (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(out, hdr, 12);
    n = 12;
    memcpy(out + n, labels, strlen(labels) + 1);
    n += strlen(labels) + 1;
    out[n++] = 0;
    out[n++] = 16; /* TXT */
    out[n++] = 0;
    out[n++] = 1;
    return n;
}

TEST(dns_question)
{
    uint8_t m[128];
    struct eve_dns d;
    size_t n = dns_query(m, "\x03www\x06google\x03" "com", 0x0100);
    CHECK_EQ_INT(app_dns_parse(m, n, &d), 0);
    CHECK_EQ_STR(d.qname, "www.google.com");
    CHECK_EQ_INT(d.qname_len, 14);
    CHECK_EQ_INT(d.qtype, 16);
    CHECK_EQ_INT(d.id, 0x1234);
    CHECK(!d.response);
    n = dns_query(m, "\x03www\x06google\x03" "com", 0x8180);
    CHECK_EQ_INT(app_dns_parse(m, n, &d), 0);
    CHECK(d.response);
    /* truncated inside the name, in the type, and a pointer loop */
    CHECK_EQ_INT(app_dns_parse(m, 16, &d), -1);
    CHECK_EQ_INT(app_dns_parse(m, n - 3, &d), -1);
    const uint8_t loop[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
    CHECK_EQ_INT(app_dns_parse(loop, sizeof(loop), &d), -1);
}


/* A response: question www.example.com A, then answers A, AAAA, CNAME (to a
 * compressed name), MX, TXT (two strings), PTR, NS, and an SOA authority. */
static size_t dns_response(uint8_t *m)
{
    static const uint8_t msg[] = {
        0xab, 0xcd, 0x81, 0x83, 0, 1, 0, 7, 0, 1, 0, 0,
        3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
        0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
        0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 6, 3, 'c', 'd', 'n', 0xc0, 16,
        0xc0, 16, 0, 15, 0, 1, 0, 0, 0, 9, 0, 9, 0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 16,
        0xc0, 16, 0, 16, 0, 1, 0, 0, 0, 9, 0, 8, 3, 'a', 'b', 'c', 3, 'd', 'e', 'f',
        0xc0, 16, 0, 12, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 12,
        0xc0, 16, 0, 2, 0, 1, 0, 0, 0, 9, 0, 5, 2, 'n', 's', 0xc0, 16,
        0xc0, 16, 0, 6, 0, 1, 0, 0, 0, 5, 0, 32, 2, 'n', 's', 0xc0, 16, 4, 'r', 'o', 'o', 't', 0xc0, 16,
        0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
    };
    memcpy(m, msg, sizeof(msg));
    return sizeof(msg);
}

static int rr_is(const struct eve_dns *d, int i, uint16_t type, const char *name, const char *data)
{
    const struct eve_dns_rr *r = &d->rr[i];
    return r->rrtype == type && r->name_len == strlen(name) &&
           memcmp(d->text + r->name_off, name, r->name_len) == 0 && r->data_len == strlen(data) &&
           memcmp(d->text + r->data_off, data, r->data_len) == 0;
}

TEST(dns_answers)
{
    static uint8_t m[512];
    static struct eve_dns d;
    size_t n = dns_response(m);
    CHECK_EQ_INT(app_dns_parse(m, n, &d), 0);
    CHECK(d.response);
    CHECK_EQ_INT(d.rcode, 3);
    CHECK_EQ_INT(d.flags, 0x8183);
    CHECK_EQ_STR(d.qname, "www.example.com");
    CHECK_EQ_INT(d.nrr, 8);
    CHECK(!d.rr_cut);
    CHECK(rr_is(&d, 0, 1, "www.example.com", "192.0.2.1"));
    CHECK(rr_is(&d, 1, 28, "www.example.com", "2001:0db8:0000:0000:0000:0000:0000:0001"));
    CHECK(rr_is(&d, 2, 5, "www.example.com", "cdn.example.com"));
    CHECK(rr_is(&d, 3, 15, "example.com", "mail.example.com"));
    CHECK(rr_is(&d, 4, 16, "example.com", "abcdef"));
    CHECK(rr_is(&d, 5, 12, "example.com", "www.example.com"));
    CHECK(rr_is(&d, 6, 2, "example.com", "ns.example.com"));
    CHECK(rr_is(&d, 7, 6, "example.com", "ns.example.com"));
    CHECK_EQ_INT(d.rr[7].section, EVE_DNS_AUTHORITY);
    CHECK_EQ_INT(d.rr[0].ttl, 60);
    CHECK_EQ_INT(d.rr[7].num[0], 7);
    CHECK_EQ_INT(d.rr[7].num[4], 4);
    /* every cut keeps the header + question when they are whole, never reads past n */
    for (size_t k = 0; k < n; k++) {
        int rc = app_dns_parse(m, k, &d);
        CHECK(rc == (k >= 33 ? 0 : -1));
        if (rc == 0)
            CHECK(d.nrr < 8 && (d.rr_cut || k == n));
    }
}

TEST(dns_name_pointers_bounded)
{
    static uint8_t m[512];
    static struct eve_dns d;
    size_t n = dns_response(m);
    /* the CNAME target points at itself: a loop, the record is dropped */
    uint8_t *cn = memchr(m + 70, 'c', n - 70);
    CHECK(cn != NULL && cn[-1] == 3);
    cn[3] = 0xc0;
    cn[4] = (uint8_t)(cn - 1 - m);
    CHECK_EQ_INT(app_dns_parse(m, n, &d), 0);
    CHECK_EQ_INT(d.nrr, 2);
    CHECK(d.rr_cut);
    /* a forward pointer in the question is refused */
    const uint8_t fwd[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 1, 'a', 0, 0, 1, 0, 1 };
    CHECK_EQ_INT(app_dns_parse(fwd, sizeof(fwd), &d), -1);
}

struct dns_seen {
    int n, bad;
    uint16_t ids[8];
};

static int dns_tcp_cb(void *arg, int dir, const uint8_t *msg, size_t n)
{
    struct dns_seen *s = arg;
    static struct eve_dns d;
    (void)dir;
    if (app_dns_parse(msg, n, &d) != 0) {
        s->bad++;
        return -1;
    }
    if (s->n < 8)
        s->ids[s->n++] = d.id;
    return 0;
}

TEST(dns_tcp_framing)
{
    uint8_t q[128], stream[300];
    size_t n = dns_query(q, "\x03www\x06google\x03" "com", 0x0100), k = 0;
    for (int i = 0; i < 3; i++) {
        q[0] = 0;
        q[1] = (uint8_t)(i + 1);
        stream[k++] = (uint8_t)(n >> 8);
        stream[k++] = (uint8_t)n;
        memcpy(stream + k, q, n);
        k += n;
    }
    /* every split point of the three messages into two deliveries, and byte by byte */
    for (size_t cut = 0; cut <= k; cut++) {
        struct app_dns_tcp *t = NULL;
        struct dns_seen s = { 0 };
        app_dns_tcp_data(&t, 0, stream, cut, dns_tcp_cb, &s);
        app_dns_tcp_data(&t, 0, stream + cut, k - cut, dns_tcp_cb, &s);
        CHECK(s.n == 3 && s.ids[0] == 1 && s.ids[1] == 2 && s.ids[2] == 3);
        app_dns_tcp_free(t);
    }
    struct app_dns_tcp *t = NULL;
    struct dns_seen s = { 0 };
    for (size_t i = 0; i < k; i++)
        app_dns_tcp_data(&t, 1, stream + i, 1, dns_tcp_cb, &s);
    CHECK_EQ_INT(s.n, 3);
    /* a gap stops the direction; the other one still frames */
    app_dns_tcp_gap(&t, 1);
    app_dns_tcp_data(&t, 1, stream, k, dns_tcp_cb, &s);
    CHECK_EQ_INT(s.n, 3);
    app_dns_tcp_data(&t, 0, stream, k, dns_tcp_cb, &s);
    CHECK_EQ_INT(s.n, 6);
    app_dns_tcp_free(t);
    /* not DNS (an HTTP request on port 53): stopped after the first frame */
    t = NULL;
    memset(&s, 0, sizeof(s));
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < 3; i++)
        app_dns_tcp_data(&t, 0, (const uint8_t *)http, strlen(http), dns_tcp_cb, &s);
    CHECK(s.n == 0 && s.bad <= 1);
    app_dns_tcp_free(t);
}

/* ---- TLS ---- */

static size_t put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* ClientHello: TLS 1.2, ciphers GREASE 0x0a0a, 0x1301, 0xc02f; extensions
 * GREASE, server_name, supported_groups (29, 23), ec_point_formats (0). */
static size_t client_hello(uint8_t *rec, const char *sni)
{
    uint8_t b[512];
    size_t n = 0, sl = strlen(sni);
    n += put16(b + n, 0x0303);
    memset(b + n, 0x11, 32);
    n += 32;
    b[n++] = 0;
    n += put16(b + n, 6);
    n += put16(b + n, 0x0a0a);
    n += put16(b + n, 0x1301);
    n += put16(b + n, 0xc02f);
    b[n++] = 1;
    b[n++] = 0;
    size_t extlen_at = n;
    n += 2;
    n += put16(b + n, 0x1a1a);   /* GREASE extension, empty */
    n += put16(b + n, 0);
    n += put16(b + n, 0);
    n += put16(b + n, (unsigned)sl + 5);
    n += put16(b + n, (unsigned)sl + 3);
    b[n++] = 0;
    n += put16(b + n, (unsigned)sl);
    memcpy(b + n, sni, sl);
    n += sl;
    n += put16(b + n, 10);
    n += put16(b + n, 6);
    n += put16(b + n, 4);
    n += put16(b + n, 29);
    n += put16(b + n, 23);
    n += put16(b + n, 11);
    n += put16(b + n, 2);
    b[n++] = 1;
    b[n++] = 0;
    put16(b + extlen_at, (unsigned)(n - extlen_at - 2));
    rec[0] = 0x16;
    rec[1] = 3;
    rec[2] = 1;
    put16(rec + 3, (unsigned)n + 4);
    rec[5] = 1;
    rec[6] = 0;
    put16(rec + 7, (unsigned)n);
    memcpy(rec + 9, b, n);
    return n + 9;
}

TEST(tls_client_hello_sni_and_ja3)
{
    uint8_t rec[600];
    struct app_tls_hello h;
    size_t n = client_hello(rec, "ftp.nluug.nl");
    CHECK_EQ_INT(app_tls_parse_hello(rec, n, true, &h), 1);
    CHECK_EQ_STR(h.sni, "ftp.nluug.nl");
    CHECK_EQ_INT(h.sni_len, 12);
    /* GREASE values dropped; md5 from Python's hashlib of the same string */
    CHECK_EQ_STR(h.ja3_str, "771,4865-49199,0-10-11,29-23,0");
    CHECK_EQ_STR(h.ja3, "bca193bf3b6d2156cfbe0e6b4b306d3e");
    /* every shorter prefix asks for more bytes or fails; none crashes or lies */
    for (size_t k = 0; k < n; k++)
        CHECK(app_tls_parse_hello(rec, k, true, &h) <= 0);
    /* a ClientHello is not a ServerHello */
    CHECK_EQ_INT(app_tls_parse_hello(rec, n, false, &h), -1);
    /* not TLS at all */
    CHECK_EQ_INT(app_tls_parse_hello((const uint8_t *)"GET / HTTP/1.1\r\n", 16, true, &h), -1);
}

TEST(tls_hello_split_over_records)
{
    uint8_t rec[600], two[700];
    size_t n = client_hello(rec, "split.example");
    size_t body = n - 5, first = body / 2;
    /* same handshake bytes in two records */
    memcpy(two, rec, 5);
    put16(two + 3, (unsigned)first);
    memcpy(two + 5, rec + 5, first);
    two[5 + first] = 0x16;
    two[6 + first] = 3;
    two[7 + first] = 1;
    put16(two + 8 + first, (unsigned)(body - first));
    memcpy(two + 10 + first, rec + 5 + first, body - first);
    struct app_tls_hello h;
    CHECK_EQ_INT(app_tls_parse_hello(two, n + 5, true, &h), 1);
    CHECK_EQ_STR(h.sni, "split.example");
}

struct tls_events {
    int ch, sh, cert, done;
};

static void tls_count(void *arg, int dir, enum app_tls_ev ev, const struct app_tls_state *st)
{
    struct tls_events *e = arg;
    (void)dir;
    (void)st;
    e->ch += ev == APP_TLS_EV_CLIENT_HELLO;
    e->sh += ev == APP_TLS_EV_SERVER_HELLO;
    e->cert += ev == APP_TLS_EV_CERT;
    e->done += ev == APP_TLS_EV_DONE;
}

static int eb_eq(struct eve_bytes a, struct eve_bytes b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* A conn made in place on used memory (a pool slot) reads a handshake as a
 * fresh one does: nothing of the old contents leaks into state or event. */
TEST(tls_conn_init_on_used_memory)
{
    uint8_t rec[600];
    size_t n = client_hello(rec, "reuse.example");
    void *mem = malloc(app_tls_conn_size());
    struct app_tls_conn *fresh = app_tls_conn_new();
    struct tls_events ef = { 0 }, eu = { 0 };

    CHECK(mem != NULL && fresh != NULL);
    if (mem == NULL || fresh == NULL)
        goto out;
    memset(mem, 0xa5, app_tls_conn_size());
    struct app_tls_conn *used = app_tls_conn_init(mem);
    CHECK(!app_tls_conn_finished(used) && !app_tls_conn_idle(used));
    /* split in two deliveries: the partial message buffer is used too */
    app_tls_conn_data(fresh, 0, rec, 20, tls_count, &ef);
    app_tls_conn_data(fresh, 0, rec + 20, n - 20, tls_count, &ef);
    app_tls_conn_data(used, 0, rec, 20, tls_count, &eu);
    app_tls_conn_data(used, 0, rec + 20, n - 20, tls_count, &eu);
    CHECK(ef.ch == 1 && eu.ch == 1 && eu.sh == 0 && eu.cert == 0 && eu.done == 0);
    const struct app_tls_state *a = app_tls_conn_state(fresh), *b = app_tls_conn_state(used);
    CHECK(b->have_ch && !b->have_sh && !b->have_cert && b->version == 0);
    CHECK_EQ_STR(b->ch.sni, "reuse.example");
    struct eve_tls ea, eb;
    app_tls_eve(a, &ea);
    app_tls_eve(b, &eb);
    CHECK(eb_eq(ea.sni, eb.sni) && eb_eq(ea.ja3, eb.ja3) && eb_eq(ea.ja3_string, eb.ja3_string));
    CHECK(eb.version.n == 0 && eb.subject.n == 0 && eb.ja3s.n == 0 && eb.serial.n == 0);
    CHECK_EQ_INT(app_tls_conn_finished(used), app_tls_conn_finished(fresh));
    app_tls_conn_fini(used);
    /* and again on the same memory (a slot reused after a handshake) */
    used = app_tls_conn_init(mem);
    CHECK(!app_tls_conn_state(used)->have_ch);
    app_tls_conn_data(used, 0, rec, n, tls_count, &eu);
    CHECK_EQ_INT(eu.ch, 2);
    CHECK_EQ_STR(app_tls_conn_state(used)->ch.sni, "reuse.example");
    app_tls_conn_fini(used);
out:
    free(mem);
    app_tls_conn_free(fresh);
}

/* ---- HTTP ---- */

struct http_seen {
    int txs[3];                 /* request, response, APP_HTTP_LOG_ONLY */
    char logged_url[64];
    char uri[128], host[64], method[16], ua[64], body[2][256], stat[8], hdr[512], cookie[64];
};

static void copy_buf(char *dst, size_t cap, struct det_buf_ref b)
{
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    if (b.ptr != NULL)
        memcpy(dst, b.ptr, n);
    dst[b.ptr != NULL ? n : 0] = '\0';
}

static void http_tx(void *arg, int dir, const struct det_buf_ref *b, const struct eve_alert_app *info)
{
    struct http_seen *s = arg;
    s->txs[dir]++;
    CHECK(info->http);
    if (dir == APP_HTTP_LOG_ONLY) {
        for (int k = 0; k < DET_BUF_MAX; k++)
            CHECK(b[k].ptr == NULL);
        CHECK_EQ_INT(info->status, 0);
        copy_buf(s->logged_url, sizeof(s->logged_url), (struct det_buf_ref){ info->url.p, info->url.n });
        return;
    }
    if (dir == 0) {
        copy_buf(s->uri, sizeof(s->uri), b[DET_BUF_HTTP_URI]);
        copy_buf(s->host, sizeof(s->host), b[DET_BUF_HTTP_HOST]);
        copy_buf(s->method, sizeof(s->method), b[DET_BUF_HTTP_METHOD]);
        copy_buf(s->ua, sizeof(s->ua), b[DET_BUF_HTTP_UA]);
        copy_buf(s->cookie, sizeof(s->cookie), b[DET_BUF_HTTP_COOKIE]);
        copy_buf(s->hdr, sizeof(s->hdr), b[DET_BUF_HTTP_HEADER]);
        CHECK(b[DET_BUF_HTTP_STAT_CODE].ptr == NULL);
    } else {
        copy_buf(s->stat, sizeof(s->stat), b[DET_BUF_HTTP_STAT_CODE]);
        CHECK(b[DET_BUF_HTTP_URI].ptr == NULL);
    }
    copy_buf(s->body[dir], sizeof(s->body[dir]), b[dir == 0 ? DET_BUF_HTTP_REQ_BODY : DET_BUF_HTTP_RESP_BODY]);
}

static void feed_bytewise(struct app_http *h, int dir, const char *s, struct timeval ts)
{
    for (size_t i = 0; s[i] != '\0'; i++)
        app_http_data(h, dir, (const uint8_t *)s + i, 1, ts);
}

TEST(http_buffers_per_direction)
{
    struct app_http_cfg *c = app_http_cfg_new(1024, 1024, 2);
    struct http_seen s;
    struct timeval ts = { 1700000000, 0 };
    memset(&s, 0, sizeof(s));
    CHECK(c != NULL);
    if (c == NULL)
        return;
    struct app_http *h = app_http_new(c, http_tx, &s);
    /* byte by byte: every buffer must survive arbitrary segmentation */
    feed_bytewise(h, 0, "POST /a/%2e%2e/b?x=1 HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: BadBot\r\n"
                        "Cookie: k=v\r\nContent-Length: 5\r\n\r\nhello", ts);
    CHECK_EQ_INT(s.txs[0], 1);
    CHECK_EQ_STR(s.uri, "/b?x=1");
    CHECK_EQ_STR(s.host, "example.com");
    CHECK_EQ_STR(s.method, "POST");
    CHECK_EQ_STR(s.ua, "BadBot");
    CHECK_EQ_STR(s.cookie, "k=v");
    CHECK_EQ_STR(s.body[0], "hello");
    CHECK(strstr(s.hdr, "User-Agent: BadBot\r\n") != NULL);
    CHECK(strstr(s.hdr, "Host: Example.COM\r\n") != NULL);
    feed_bytewise(h, 1, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nwor\r\n2\r\nld\r\n0\r\n\r\n", ts);
    CHECK_EQ_INT(s.txs[1], 1);
    CHECK_EQ_STR(s.stat, "404");
    CHECK_EQ_STR(s.body[1], "world");
    CHECK_EQ_INT(app_http_tx_count(h), 1);
    app_http_free(h);
    app_http_cfg_free(c);
}

static size_t gzip_of(const char *in, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

TEST(http_gzip_bodies_and_limits)
{
    struct app_http_cfg *c = app_http_cfg_new(8, 1024, 2);
    struct http_seen s;
    struct timeval ts = { 1700000000, 0 };
    uint8_t gz[256];
    char hdr[128];
    memset(&s, 0, sizeof(s));
    if (c == NULL)
        return;
    struct app_http *h = app_http_new(c, http_tx, &s);
    /* request body over the 8-byte limit is cut; response gzip is inflated */
    const char *req = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij";
    app_http_data(h, 0, (const uint8_t *)req, strlen(req), ts);
    CHECK_EQ_STR(s.body[0], "01234567");
    size_t n = gzip_of("inflated response body", gz, sizeof(gz));
    int hl = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", n);
    app_http_data(h, 1, (const uint8_t *)hdr, (size_t)hl, ts);
    app_http_data(h, 1, gz, n, ts);
    CHECK_EQ_STR(s.body[1], "inflated response body");
    app_http_free(h);

    /* request body: gzip declared and present -> inflated; declared but plain -> as sent */
    struct app_http_cfg *c2 = app_http_cfg_new(1024, 1024, 2);
    memset(&s, 0, sizeof(s));
    h = app_http_new(c2, http_tx, &s);
    n = gzip_of("name=value", gz, sizeof(gz));
    hl = snprintf(hdr, sizeof(hdr), "POST /p HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", n);
    app_http_data(h, 0, (const uint8_t *)hdr, (size_t)hl, ts);
    app_http_data(h, 0, gz, n, ts);
    CHECK_EQ_STR(s.body[0], "name=value");
    const char *plain = "POST /q HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}";
    app_http_data(h, 0, (const uint8_t *)plain, strlen(plain), ts);
    CHECK_EQ_STR(s.body[0], "{\"a\":\"b\"}");
    app_http_free(h);
    app_http_cfg_free(c2);
    app_http_cfg_free(c);
}

TEST(http_open_transaction_inspected_at_close)
{
    struct app_http_cfg *c = app_http_cfg_new(1024, 1024, 2);
    struct http_seen s;
    struct timeval ts = { 1700000000, 0 };
    memset(&s, 0, sizeof(s));
    if (c == NULL)
        return;
    struct app_http *h = app_http_new(c, http_tx, &s);
    const char *req = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *res = "HTTP/1.0 200 OK\r\nServer: ng1nx\r\n\r\nbody until close";
    app_http_data(h, 0, (const uint8_t *)req, strlen(req), ts);
    app_http_data(h, 1, (const uint8_t *)res, strlen(res), ts);
    CHECK_EQ_INT(s.txs[1], 0);          /* body runs to the close */
    app_http_close(h, ts);
    CHECK_EQ_INT(s.txs[1], 1);
    CHECK_EQ_STR(s.body[1], "body until close");
    app_http_free(h);
    app_http_cfg_free(c);
}

TEST(protocol_guess)
{
    CHECK_EQ_INT(app_proto_guess(0, (const uint8_t *)"GET / HTTP/1.1", 14), DET_APP_HTTP);
    CHECK_EQ_INT(app_proto_guess(1, (const uint8_t *)"HTTP/1.1 200", 12), DET_APP_HTTP);
    CHECK_EQ_INT(app_proto_guess(1, (const uint8_t *)"SSH-2.0-x", 9), DET_APP_SSH);
    CHECK_EQ_INT(app_proto_guess(0, (const uint8_t *)"\x16\x03\x01\x00", 4), DET_APP_TLS);
    CHECK_EQ_INT(app_proto_guess(0, (const uint8_t *)"GETX", 4), DET_APP_UNKNOWN);
    CHECK_EQ_INT(app_proto_guess(0, (const uint8_t *)"\x16\x03", 2), DET_APP_UNKNOWN);
}

int main(int c, char **v)
{
    return runner_main(c, v);
}
