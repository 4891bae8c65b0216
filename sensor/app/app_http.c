/* app_http: HTTP/1.x on Debian's libhtp 0.5 (the only file that includes it).
 *
 * One connection parser per HTTP flow, fed the in-order stream of each
 * direction. When a request (headers and body) or a response is complete,
 * or the flow ends with one open, the direction's buffers are built (URI
 * normalized by libhtp, headers "Name: value\r\n" as Suricata builds
 * http.header, bodies decompressed by libhtp up to the configured limits)
 * and handed to the caller's callback, which runs the app-layer detection
 * pass. Transactions are destroyed by libhtp once complete. A transaction
 * whose response never completed gets a last callback at the close
 * (APP_HTTP_LOG_ONLY: its http event, as Suricata logs one at flow end).
 * Request bodies are decompressed here, not by libhtp: a body declared gzip
 * or deflate that does not start like one is inspected as sent (libhtp 0.5
 * turns such a body into garbage; Suricata inspects it raw).
 */
#include <htp/htp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "app/app_private.h"

#define APP_HTTP_HDR_MAX (64 * 1024)   /* bytes of built header buffers per direction */

struct app_http_cfg {
    htp_cfg_t *cfg;
    uint64_t body_limit[2];
};

/* A growing byte buffer, capped; reused across transactions. */
struct app_hbuf {
    uint8_t *p;
    uint32_t len, cap;
};

struct app_http {
    htp_connp_t *connp;
    const struct app_http_cfg *c;
    app_http_tx_fn fn;
    void *arg;
    htp_tx_t *open[2];          /* transaction started but not yet inspected, per direction */
    struct app_hbuf body[2], raw[2], hdr, names, uri, inflated;
    bool stopped[2];            /* a gap: libhtp 0.5 cannot resync */
    uint64_t txs;
    uint32_t tx_id[2];
    /* file carving (sensor/filescan): each body is a file */
    const struct app_file_ops *fops;
    struct fscan_worker *fw;
    const struct flow *flow;
    struct file_obj *file[2];
    uint64_t fed[2];            /* body bytes given to the file */
    bool req_deferred;          /* an encoded request body: carved inflated at its end */
    bool rev;                   /* flow direction = libhtp direction ^ rev */
    struct timeval ts;
};

static void hbuf_add(struct app_hbuf *b, const void *d, size_t n, uint64_t limit)
{
    if (d == NULL || n == 0 || b->len >= limit)
        return;
    if (b->len + n > limit)
        n = (size_t)(limit - b->len);
    if (b->len + n > b->cap) {
        uint64_t nc = b->cap ? (uint64_t)b->cap * 2 : 1024;
        while (nc < b->len + n)
            nc *= 2;
        if (nc > limit)
            nc = limit;
        uint8_t *np = realloc(b->p, (size_t)nc);
        if (np == NULL)
            return;
        b->p = np;
        b->cap = (uint32_t)nc;
    }
    memcpy(b->p + b->len, d, n);
    b->len += (uint32_t)n;
}

static void hbuf_free(struct app_hbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static struct app_http *app_http_of(const htp_tx_t *tx)
{
    return tx != NULL ? htp_connp_get_user_data(tx->connp) : NULL;
}

static struct det_buf_ref ref_bstr(const bstr *s)
{
    struct det_buf_ref r = { NULL, 0 };

    if (s != NULL && bstr_len(s) > 0) {
        r.ptr = bstr_ptr(s);
        r.len = (uint32_t)bstr_len(s);
    }
    return r;
}

static struct eve_bytes eb(struct det_buf_ref r)
{
    return (struct eve_bytes){ r.ptr, r.len };
}

static struct det_buf_ref header_val(htp_table_t *t, const char *name)
{
    htp_header_t *h = t != NULL ? htp_table_get_c(t, name) : NULL;
    return h != NULL ? ref_bstr(h->value) : (struct det_buf_ref){ NULL, 0 };
}

static struct det_buf_ref ref_hbuf(const struct app_hbuf *b)
{
    return b->len > 0 ? (struct det_buf_ref){ b->p, b->len } : (struct det_buf_ref){ NULL, 0 };
}

/* http.header ("Name: value\r\n" each) and http.header_names ("\r\nName...\r\n\r\n"). */
static void build_headers(struct app_http *h, htp_table_t *t)
{
    h->hdr.len = 0;
    h->names.len = 0;
    if (t == NULL)
        return;
    hbuf_add(&h->names, "\r\n", 2, APP_HTTP_HDR_MAX);
    for (size_t i = 0, n = htp_table_size(t); i < n; i++) {
        htp_header_t *hd = htp_table_get_index(t, i, NULL);
        if (hd == NULL)
            continue;
        hbuf_add(&h->hdr, bstr_ptr(hd->name), bstr_len(hd->name), APP_HTTP_HDR_MAX);
        hbuf_add(&h->hdr, ": ", 2, APP_HTTP_HDR_MAX);
        hbuf_add(&h->hdr, bstr_ptr(hd->value), bstr_len(hd->value), APP_HTTP_HDR_MAX);
        hbuf_add(&h->hdr, "\r\n", 2, APP_HTTP_HDR_MAX);
        hbuf_add(&h->names, bstr_ptr(hd->name), bstr_len(hd->name), APP_HTTP_HDR_MAX);
        hbuf_add(&h->names, "\r\n", 2, APP_HTTP_HDR_MAX);
    }
    hbuf_add(&h->names, "\r\n", 2, APP_HTTP_HDR_MAX);
}

/* http.uri: libhtp's normalized path, then "?query" as sent. */
static struct det_buf_ref build_uri(struct app_http *h, const htp_tx_t *tx)
{
    h->uri.len = 0;
    if (tx->parsed_uri == NULL || tx->parsed_uri->path == NULL)
        return ref_bstr(tx->request_uri);
    hbuf_add(&h->uri, bstr_ptr(tx->parsed_uri->path), bstr_len(tx->parsed_uri->path), APP_HTTP_HDR_MAX);
    if (tx->parsed_uri->query != NULL) {
        hbuf_add(&h->uri, "?", 1, APP_HTTP_HDR_MAX);
        hbuf_add(&h->uri, bstr_ptr(tx->parsed_uri->query), bstr_len(tx->parsed_uri->query),
                 APP_HTTP_HDR_MAX);
    }
    return ref_hbuf(&h->uri);
}

static void fill_info(const htp_tx_t *tx, struct eve_alert_app *info, struct det_buf_ref host)
{
    memset(info, 0, sizeof(*info));
    info->app_proto = "http";
    info->http = true;
    info->hostname = eb(host);
    info->url = eb(ref_bstr(tx->request_uri));
    info->user_agent = eb(header_val(tx->request_headers, "user-agent"));
    info->method = eb(ref_bstr(tx->request_method));
    info->protocol = eb(ref_bstr(tx->request_protocol));
    info->content_type = eb(header_val(tx->response_headers, "content-type"));
    info->status = tx->response_status_number > 0 ? tx->response_status_number : 0;
    info->length = -1;
}

/* A request body with Content-Encoding gzip/deflate: inflate it (zlib or
 * gzip header, else raw deflate) up to limit; the raw body when it is not. */
static struct det_buf_ref req_body(struct app_http *h, const htp_tx_t *tx)
{
    struct det_buf_ref raw = ref_hbuf(&h->body[0]);
    struct det_buf_ref ce = header_val(tx->request_headers, "content-encoding");
    uint8_t out[4096];
    z_stream z;

    if (raw.ptr == NULL || ce.ptr == NULL || raw.len < 2)
        return raw;
    bool gz = memmem(ce.ptr, ce.len, "gzip", 4) != NULL;
    bool df = memmem(ce.ptr, ce.len, "deflate", 7) != NULL;
    bool gz_magic = raw.ptr[0] == 0x1f && raw.ptr[1] == 0x8b;
    bool zl_magic = (raw.ptr[0] & 0x0f) == 8 && ((raw.ptr[0] << 8) | raw.ptr[1]) % 31 == 0;
    if (!(gz && gz_magic) && !(df && zl_magic))
        return raw;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return raw;
    h->inflated.len = 0;
    z.next_in = (Bytef *)raw.ptr;
    z.avail_in = raw.len;
    int rc = Z_OK;
    while (rc == Z_OK && h->inflated.len < h->c->body_limit[0]) {
        z.next_out = out;
        z.avail_out = sizeof(out);
        rc = inflate(&z, Z_NO_FLUSH);
        hbuf_add(&h->inflated, out, sizeof(out) - z.avail_out, h->c->body_limit[0]);
        if (z.avail_out == sizeof(out))
            break;
    }
    inflateEnd(&z);
    return h->inflated.len > 0 ? ref_hbuf(&h->inflated) : raw;
}

/* Build the buffers of one direction of tx and run the callback. */
static void app_http_inspect(struct app_http *h, htp_tx_t *tx, int dir)
{
    struct det_buf_ref b[DET_BUF_MAX];
    struct eve_alert_app info;

    memset(b, 0, sizeof(b));
    struct det_buf_ref host = ref_bstr(tx->request_hostname);
    if (host.ptr == NULL)
        host = header_val(tx->request_headers, "host");
    fill_info(tx, &info, host);
    info.tx_id = h->tx_id[dir]++;
    if (dir == 0) {
        b[DET_BUF_HTTP_URI] = build_uri(h, tx);
        b[DET_BUF_HTTP_URI_RAW] = ref_bstr(tx->request_uri);
        b[DET_BUF_HTTP_METHOD] = ref_bstr(tx->request_method);
        b[DET_BUF_HTTP_PROTOCOL] = ref_bstr(tx->request_protocol);
        b[DET_BUF_HTTP_REQUEST_LINE] = ref_bstr(tx->request_line);
        b[DET_BUF_HTTP_HOST] = host;
        b[DET_BUF_HTTP_HOST_RAW] = header_val(tx->request_headers, "host");
        b[DET_BUF_HTTP_UA] = header_val(tx->request_headers, "user-agent");
        b[DET_BUF_HTTP_COOKIE] = header_val(tx->request_headers, "cookie");
        b[DET_BUF_HTTP_REFERER] = header_val(tx->request_headers, "referer");
        b[DET_BUF_HTTP_ACCEPT] = header_val(tx->request_headers, "accept");
        b[DET_BUF_HTTP_ACCEPT_ENC] = header_val(tx->request_headers, "accept-encoding");
        b[DET_BUF_HTTP_ACCEPT_LANG] = header_val(tx->request_headers, "accept-language");
        b[DET_BUF_HTTP_CONNECTION] = header_val(tx->request_headers, "connection");
        b[DET_BUF_HTTP_CONTENT_TYPE] = header_val(tx->request_headers, "content-type");
        b[DET_BUF_HTTP_CONTENT_LEN] = header_val(tx->request_headers, "content-length");
        b[DET_BUF_HTTP_REQ_BODY] = req_body(h, tx);
        b[DET_BUF_FILE_DATA] = b[DET_BUF_HTTP_REQ_BODY];
        build_headers(h, tx->request_headers);
    } else {
        b[DET_BUF_HTTP_STAT_CODE] = ref_bstr(tx->response_status);
        b[DET_BUF_HTTP_STAT_MSG] = ref_bstr(tx->response_message);
        b[DET_BUF_HTTP_PROTOCOL] = ref_bstr(tx->response_protocol);
        b[DET_BUF_HTTP_RESPONSE_LINE] = ref_bstr(tx->response_line);
        b[DET_BUF_HTTP_COOKIE] = header_val(tx->response_headers, "set-cookie");
        b[DET_BUF_HTTP_SERVER] = header_val(tx->response_headers, "server");
        b[DET_BUF_HTTP_LOCATION] = header_val(tx->response_headers, "location");
        b[DET_BUF_HTTP_CONNECTION] = header_val(tx->response_headers, "connection");
        b[DET_BUF_HTTP_CONTENT_TYPE] = header_val(tx->response_headers, "content-type");
        b[DET_BUF_HTTP_CONTENT_LEN] = header_val(tx->response_headers, "content-length");
        b[DET_BUF_HTTP_RESP_BODY] = ref_hbuf(&h->body[1]);
        b[DET_BUF_FILE_DATA] = ref_hbuf(&h->body[1]);
        info.length = h->body[1].len;
        build_headers(h, tx->response_headers);
    }
    b[DET_BUF_HTTP_HEADER] = ref_hbuf(&h->hdr);
    b[DET_BUF_HTTP_HEADER_NAMES] = ref_hbuf(&h->names);
    b[DET_BUF_HTTP_HEADER_RAW] = ref_hbuf(&h->raw[dir]);
    if (b[DET_BUF_HTTP_HEADER_RAW].ptr == NULL)
        b[DET_BUF_HTTP_HEADER_RAW] = b[DET_BUF_HTTP_HEADER];
    h->open[dir] = NULL;
    if (dir == 1)
        htp_tx_set_user_data(tx, h);   /* its http event is written with the response */
    h->fn(h->arg, dir, b, &info);
    /* This direction's buffers and the scratch built for the pass are not
     * read again before its next transaction starts (which refills them):
     * give them back, so that a flow between transactions or waiting for its
     * close holds none (45 MB at the bench's peak when they were kept). */
    hbuf_free(&h->body[dir]);
    hbuf_free(&h->raw[dir]);
    hbuf_free(&h->hdr);
    hbuf_free(&h->names);
    hbuf_free(&h->uri);
    hbuf_free(&h->inflated);
}

/* ---- libhtp callbacks ---- */

static int cb_req_start(htp_tx_t *tx)
{
    struct app_http *h = app_http_of(tx);
    if (h != NULL) {
        h->open[0] = tx;
        h->body[0].len = 0;
        h->raw[0].len = 0;
        h->txs++;
    }
    return HTP_OK;
}

static int cb_res_start(htp_tx_t *tx)
{
    struct app_http *h = app_http_of(tx);
    if (h != NULL) {
        h->open[1] = tx;
        h->body[1].len = 0;
        h->raw[1].len = 0;
    }
    return HTP_OK;
}

static struct det_buf_ref req_body(struct app_http *h, const htp_tx_t *tx);

/* filescan: a body's first bytes open its file (name: the URI path, as
 * Suricata names HTTP files); the file closes with its direction. An
 * identity body stops at its Content-Length (libhtp 0.5 may pass bytes
 * after it as body). A gzip/deflate request body is carved once complete,
 * inflated as req_body() inflates it for detection. */
static void file_feed(struct app_http *h, htp_tx_t *tx, int dir, const uint8_t *d, size_t n,
                      bool decoded)
{
    if (h->fw == NULL || d == NULL || n == 0)
        return;
    if (dir == 0 && !decoded) {
        struct det_buf_ref ce = header_val(tx->request_headers, "content-encoding");
        if (ce.ptr != NULL && (memmem(ce.ptr, ce.len, "gzip", 4) != NULL ||
                               memmem(ce.ptr, ce.len, "deflate", 7) != NULL)) {
            h->req_deferred = true;
            return;
        }
    }
    int64_t cl = dir == 0 ? tx->request_content_length : tx->response_content_length;
    bool identity = (dir == 0 ? tx->request_transfer_coding : tx->response_transfer_coding) ==
                        HTP_CODING_IDENTITY &&
                    (dir == 0 || tx->response_content_encoding == HTP_COMPRESSION_NONE);
    if (h->file[dir] == NULL)
        h->fed[dir] = 0;
    if (identity && cl >= 0 && !decoded) {
        if (h->fed[dir] >= (uint64_t)cl)
            return;
        if (h->fed[dir] + n > (uint64_t)cl)
            n = (size_t)((uint64_t)cl - h->fed[dir]);
    }
    h->fed[dir] += n;
    if (h->file[dir] == NULL) {
        const bstr *path = tx->parsed_uri != NULL && tx->parsed_uri->path != NULL
                               ? tx->parsed_uri->path : tx->request_uri;
        const bstr *host = tx->request_hostname;
        h->file[dir] = h->fops->open(h->fw, tx->index, dir ^ h->rev,
                                       path ? (const char *)bstr_ptr(path) : NULL,
                                       path ? bstr_len(path) : 0);
        if (h->file[dir] != NULL)
            h->fops->http(h->file[dir], tx->request_uri ? (const char *)bstr_ptr(tx->request_uri) : NULL,
                        tx->request_uri ? bstr_len(tx->request_uri) : 0,
                        host ? (const char *)bstr_ptr(host) : NULL, host ? bstr_len(host) : 0);
    }
    if (h->file[dir] != NULL)
        h->fops->data(h->fw, h->file[dir], d, n);
}

static void file_end(struct app_http *h, int dir, bool truncated)
{
    if (h->file[dir] == NULL)
        return;
    h->fops->close(h->fw, h->file[dir], h->flow, truncated, h->ts);
    h->file[dir] = NULL;
}

static int cb_body(htp_tx_data_t *d, int dir)
{
    struct app_http *h = app_http_of(d->tx);
    if (h != NULL) {
        hbuf_add(&h->body[dir], d->data, d->len, h->c->body_limit[dir]);
        file_feed(h, d->tx, dir, d->data, d->len, false);
    }
    return HTP_OK;
}

static int cb_req_body(htp_tx_data_t *d) { return cb_body(d, 0); }
static int cb_res_body(htp_tx_data_t *d) { return cb_body(d, 1); }

static int cb_hdr_data(htp_tx_data_t *d, int dir)
{
    struct app_http *h = app_http_of(d->tx);
    if (h != NULL)
        hbuf_add(&h->raw[dir], d->data, d->len, APP_HTTP_HDR_MAX);
    return HTP_OK;
}

static int cb_req_hdr_data(htp_tx_data_t *d) { return cb_hdr_data(d, 0); }
static int cb_res_hdr_data(htp_tx_data_t *d) { return cb_hdr_data(d, 1); }

static int cb_complete(htp_tx_t *tx, int dir)
{
    struct app_http *h = app_http_of(tx);
    bool decoded = h != NULL && dir == 0 && h->req_deferred;
    if (decoded) {
        struct det_buf_ref b = req_body(h, tx);
        h->req_deferred = false;
        if (b.ptr != NULL)
            file_feed(h, tx, 0, b.ptr, b.len, true);
    }
    if (h != NULL) {
        /* a body shorter than its Content-Length (the flow was reset or
         * ended early) is truncated, whatever libhtp concluded */
        int64_t cl = dir == 0 ? tx->request_content_length : tx->response_content_length;
        bool enc = decoded || (dir == 1 && tx->response_content_encoding != HTP_COMPRESSION_NONE);
        file_end(h, dir, !enc && cl >= 0 && h->file[dir] != NULL && h->fed[dir] < (uint64_t)cl);
    }
    if (h != NULL && h->open[dir] == tx)
        app_http_inspect(h, tx, dir);
    return HTP_OK;
}

static int cb_req_complete(htp_tx_t *tx) { return cb_complete(tx, 0); }
static int cb_res_complete(htp_tx_t *tx) { return cb_complete(tx, 1); }

/* ---- life cycle ---- */

struct app_http_cfg *app_http_cfg_new(uint64_t req_body_limit, uint64_t resp_body_limit,
                                      int decompress_layers)
{
    struct app_http_cfg *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->cfg = htp_config_create()) == NULL) {
        free(c);
        return NULL;
    }
    c->body_limit[0] = req_body_limit;
    c->body_limit[1] = resp_body_limit;
    htp_config_set_server_personality(c->cfg, HTP_SERVER_IDS);
    htp_config_set_response_decompression(c->cfg, 1);
    htp_config_set_request_decompression(c->cfg, 0);
    htp_config_set_response_decompression_layer_limit(c->cfg, decompress_layers);
    htp_config_set_tx_auto_destroy(c->cfg, 1);
    htp_config_set_log_level(c->cfg, HTP_LOG_NONE);
    htp_config_register_request_start(c->cfg, cb_req_start);
    htp_config_register_response_start(c->cfg, cb_res_start);
    htp_config_register_request_body_data(c->cfg, cb_req_body);
    htp_config_register_response_body_data(c->cfg, cb_res_body);
    htp_config_register_request_header_data(c->cfg, cb_req_hdr_data);
    htp_config_register_response_header_data(c->cfg, cb_res_hdr_data);
    htp_config_register_request_complete(c->cfg, cb_req_complete);
    htp_config_register_response_complete(c->cfg, cb_res_complete);
    return c;
}

void app_http_cfg_free(struct app_http_cfg *c)
{
    if (c == NULL)
        return;
    htp_config_destroy(c->cfg);
    free(c);
}

struct app_http *app_http_new(const struct app_http_cfg *c, app_http_tx_fn fn, void *arg)
{
    struct app_http *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->c = c;
    h->fn = fn;
    h->arg = arg;
    h->connp = htp_connp_create(c->cfg);
    if (h->connp == NULL) {
        free(h);
        return NULL;
    }
    htp_connp_set_user_data(h->connp, h);
    return h;
}

void app_http_set_files(struct app_http *h, const struct app_file_ops *ops,
                        struct fscan_worker *fw, const struct flow *f, bool rev)
{
    h->fops = ops;
    h->fw = fw;
    h->flow = f;
    h->rev = rev;
}

void app_http_free(struct app_http *h)
{
    if (h == NULL)
        return;
    file_end(h, 0, true);
    file_end(h, 1, true);
    htp_connp_destroy_all(h->connp);
    for (int d = 0; d < 2; d++) {
        hbuf_free(&h->body[d]);
        hbuf_free(&h->raw[d]);
    }
    hbuf_free(&h->hdr);
    hbuf_free(&h->names);
    hbuf_free(&h->uri);
    hbuf_free(&h->inflated);
    free(h);
}

void app_http_data(struct app_http *h, int dir, const uint8_t *d, size_t n, struct timeval ts)
{
    if (h->stopped[dir] || n == 0)
        return;
    h->ts = ts;
    int rc = dir == 0 ? htp_connp_req_data(h->connp, &ts, d, n) : htp_connp_res_data(h->connp, &ts, d, n);
    if (rc == HTP_STREAM_ERROR)
        h->stopped[dir] = true;
}

void app_http_gap(struct app_http *h, int dir)
{
    h->stopped[dir] = true;
    file_end(h, dir, true);
}

/* Transactions with a request and no response: the http event's view only
 * (request fields, no status), once. */
static void app_http_unanswered(struct app_http *h)
{
    static const struct det_buf_ref none[DET_BUF_MAX];
    htp_conn_t *conn = htp_connp_get_connection(h->connp);
    struct eve_alert_app info;

    if (conn == NULL || conn->transactions == NULL)
        return;
    for (size_t i = 0, n = htp_list_size(conn->transactions); i < n; i++) {
        htp_tx_t *tx = htp_list_get(conn->transactions, i);
        if (tx == NULL || htp_tx_get_user_data(tx) != NULL || tx->request_method == NULL)
            continue;
        htp_tx_set_user_data(tx, h);
        struct det_buf_ref host = ref_bstr(tx->request_hostname);
        if (host.ptr == NULL)
            host = header_val(tx->request_headers, "host");
        fill_info(tx, &info, host);
        info.tx_id = (uint32_t)tx->index;
        h->fn(h->arg, APP_HTTP_LOG_ONLY, none, &info);
    }
}

void app_http_close(struct app_http *h, struct timeval ts)
{
    h->ts = ts;
    htp_connp_close(h->connp, &ts);
    for (int dir = 0; dir < 2; dir++) {
        file_end(h, dir, true);
        if (h->open[dir] != NULL)
            app_http_inspect(h, h->open[dir], dir);
    }
    app_http_unanswered(h);
}

uint64_t app_http_tx_count(const struct app_http *h)
{
    return h->txs;
}
