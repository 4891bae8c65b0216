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
