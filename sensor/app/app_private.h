/* app_private: what the files of sensor/app share. Parsers fill detection
 * buffers (struct det_buf_ref, indexed by enum det_buf) and the EVE view of a
 * transaction (struct eve_alert_app); app_pipe.c drives them per flow.
 */
#ifndef CANH_APP_PRIVATE_H
#define CANH_APP_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "detect/detect.h"
#include "output/eve_alert.h"
#include "output/eve_proto.h"

/* ---- per-flow slots (app_pool.c) ---- */
/* Fixed-size slots from slabs (~96 KB each) through a LIFO free list, up to
 * max slots; one pool per pipe, one thread, no lock. Embedded in its owner
 * (app_pipe.c); the fields are the pool's own. */
struct app_pool_slab;
struct app_pool {
    size_t slot_size, zero_size; /* slot stride (16-aligned), bytes cleared per get */
    uint32_t max, per_slab;
    uint32_t allocated, in_use;  /* slots carved so far (<= max), slots handed out */
    uint64_t bytes;              /* slab bytes allocated */
    void *free_list;
    struct app_pool_slab *slabs;
};
/* Slots of slot_size bytes, at most max of them; app_pool_get clears the
 * first zero_size bytes of a slot (0: the owner initialises it). Nothing is
 * allocated yet. */
void app_pool_init(struct app_pool *p, size_t slot_size, size_t zero_size, uint32_t max);
/* A slot (its first zero_size bytes cleared), or NULL when max slots are in
 * use or memory is short. A slab is allocated only when no freed slot is
 * left. */
void *app_pool_get(struct app_pool *p);
/* Give a slot back (NULL is fine); it is reused before any new slab. */
void app_pool_put(struct app_pool *p, void *obj);
/* Free every slab, slots still handed out included; the pool is empty and
 * can be used again. */
void app_pool_fini(struct app_pool *p);

/* ---- protocol detection from the first bytes of a direction (app_proto.c) ---- */
/* dir 0 = to server. Returns DET_APP_* or DET_APP_UNKNOWN when the bytes say
 * nothing (yet). */
enum det_app app_proto_guess(int dir, const uint8_t *d, size_t n);
/* Suricata's app_proto name of the protocols parsed here, else NULL. */
const char *app_proto_name(enum det_app a);

/* ---- HTTP on libhtp (app_http.c) ---- */
struct app_http_cfg;
struct app_http;
/* A transaction direction is complete (or the flow ends with it open): the
 * buffers of that direction and the EVE view, valid for the call only. dir
 * APP_HTTP_LOG_ONLY: at the close, a transaction that never had a response
 * (no buffers, nothing to inspect: write its http event). */
#define APP_HTTP_LOG_ONLY 2
typedef void (*app_http_tx_fn)(void *arg, int dir, const struct det_buf_ref *buf,
                               const struct eve_alert_app *info);
/* Limits: bytes of request/response body kept for inspection, and nested
 * Content-Encoding layers decoded. NULL on failure. */
struct app_http_cfg *app_http_cfg_new(uint64_t req_body_limit, uint64_t resp_body_limit,
                                      int decompress_layers);
void app_http_cfg_free(struct app_http_cfg *c);
/* One per HTTP flow (libhtp allocates inside). NULL on failure. */
struct app_http *app_http_new(const struct app_http_cfg *c, app_http_tx_fn fn, void *arg);
void app_http_free(struct app_http *h);
/* In-order stream data of dir. tx callbacks run inside. */
void app_http_data(struct app_http *h, int dir, const uint8_t *d, size_t n, struct timeval ts);
/* Bytes missing in dir: libhtp 0.5 cannot resync, so that direction stops. */
void app_http_gap(struct app_http *h, int dir);
/* The flow ends: open transactions are inspected with what they have. */
void app_http_close(struct app_http *h, struct timeval ts);
/* Transactions seen (for stats and tests). */
uint64_t app_http_tx_count(const struct app_http *h);
/* Carve bodies into files through sensor/filescan (filescan.h); called
 * through pointers so that the parser links without it (app_pipe.c fills
 * them with fscan_file_*). f is the flow h belongs to (it outlives h); rev:
 * the flow's initiator is the server. */
struct fscan_worker;
struct file_obj;
struct flow;
struct app_file_ops {
    struct file_obj *(*open)(struct fscan_worker *fw, uint64_t tx_id, int dir, const char *name,
                             size_t name_len);
    void (*http)(struct file_obj *ff, const char *url, size_t url_len, const char *host,
                 size_t host_len);
    void (*data)(struct fscan_worker *fw, struct file_obj *ff, const uint8_t *d, size_t n);
    void (*close)(struct fscan_worker *fw, struct file_obj *ff, const struct flow *f,
                  bool truncated, struct timeval ts);
};
void app_http_set_files(struct app_http *h, const struct app_file_ops *ops,
                        struct fscan_worker *fw, const struct flow *f, bool rev);

/* ---- DNS (app_dns.c) ---- */
/* Parse a DNS message (UDP payload, or one TCP message without its length):
 * header, first question and, in a response, the answer and authority
 * records (struct eve_dns, output/eve_proto.h: the dns event's view). 0, or
 * -1 when it is not a DNS message we read. Records that do not parse or fit
 * are left out (m->rr_cut); the header and question are still returned. */
int app_dns_parse(const uint8_t *d, size_t n, struct eve_dns *out);
/* DNS over TCP: frame the in-order bytes of dir into messages (2-byte
 * length prefix) and call fn for each; fn returns 0 when it was DNS. A first
 * message that is not, or a gap, stops that direction. *slot is the flow's
 * (NULL at first; allocated when a message is split or a direction stops);
 * free it with app_dns_tcp_free. */
struct app_dns_tcp;
typedef int (*app_dns_tcp_fn)(void *arg, int dir, const uint8_t *msg, size_t n);
void app_dns_tcp_data(struct app_dns_tcp **slot, int dir, const uint8_t *d, size_t n,
                      app_dns_tcp_fn fn, void *arg);
void app_dns_tcp_gap(struct app_dns_tcp **slot, int dir);
void app_dns_tcp_free(struct app_dns_tcp *t);

/* ---- TLS (app_tls.c) ---- */
#define APP_TLS_SNI_MAX 256
#define APP_TLS_HS_MAX 16384      /* bytes of one handshake message kept */
struct app_tls_hello {
    char sni[APP_TLS_SNI_MAX];
    uint32_t sni_len;
    char ja3[33];             /* md5 hex of the JA3 (ClientHello) or JA3S string */
    char ja3_str[4096];       /* long enough for ndpi-ja3_lots_of_cipher_suites (1.7 KB) */
    uint32_t ja3_str_len;
    uint16_t version;         /* legacy_version; ServerHello: supported_versions if sent */
};
/* Parse a ClientHello (client=true) or ServerHello from the start of a TLS
 * stream: records of d[0..n). Returns 1 when parsed, 0 when more bytes are
 * needed, -1 when it is not one. */
int app_tls_parse_hello(const uint8_t *d, size_t n, bool client, struct app_tls_hello *out);

/* The leaf certificate in Suricata's text forms. */
struct app_tls_cert {
    char subject[512], issuer[512];
    char serial[3 * 64];      /* "00:AB:..." */
    char fingerprint[3 * 20]; /* sha1 "ab:cd:..." */
    char notbefore[24], notafter[24];   /* "2024-01-31T12:00:00" (UTC) */
    uint32_t subject_len, issuer_len, serial_len, fingerprint_len, notbefore_len, notafter_len;
};
/* Decode one DER certificate (OpenSSL d2i_X509). 0, or -1 when it is not one. */
int app_tls_parse_cert(const uint8_t *der, size_t n, struct app_tls_cert *out);

/* What a flow's handshake showed so far. cert_der is the leaf's DER during
 * the APP_TLS_EV_CERT callback only. */
struct app_tls_state {
    struct app_tls_hello ch, sh;
    bool have_ch, have_sh, have_cert;
    uint16_t version;         /* negotiated (ServerHello) */
    struct app_tls_cert cert;
    const uint8_t *cert_der;
    uint32_t cert_der_len;
};
enum app_tls_ev {
    APP_TLS_EV_CLIENT_HELLO = 1,
    APP_TLS_EV_SERVER_HELLO,
    APP_TLS_EV_CERT,          /* the server certificate is parsed */
    APP_TLS_EV_DONE,          /* the server turned encrypted (TLS 1.3, resumption) or sent no certificate */
};
typedef void (*app_tls_fn)(void *arg, int dir, enum app_tls_ev ev, const struct app_tls_state *st);

/* A flow's handshake parser: in-order bytes of each direction in, events
 * out through fn (inside app_tls_conn_data). Either CERT or DONE is raised
 * once: the moment to log the tls event. Allocates a message buffer while a
 * handshake message is incomplete. NULL on no memory. */
struct app_tls_conn;
struct app_tls_conn *app_tls_conn_new(void);
void app_tls_conn_free(struct app_tls_conn *c);
/* The same in place, for a pool (app_pool.c): app_tls_conn_init makes a
 * conn of app_tls_conn_size() bytes at mem (any contents: a reused slot
 * needs no clearing); app_tls_conn_fini frees what the conn holds, not the
 * memory itself. */
size_t app_tls_conn_size(void);
struct app_tls_conn *app_tls_conn_init(void *mem);
void app_tls_conn_fini(struct app_tls_conn *c);
void app_tls_conn_data(struct app_tls_conn *c, int dir, const uint8_t *d, size_t n,
                       app_tls_fn fn, void *arg);
const struct app_tls_state *app_tls_conn_state(const struct app_tls_conn *c);
/* CERT or DONE was raised. */
bool app_tls_conn_finished(const struct app_tls_conn *c);
/* Both directions stopped being read (nothing more will be raised). */
bool app_tls_conn_idle(const struct app_tls_conn *c);
/* The tls event's view of st (borrows st's strings). */
void app_tls_eve(const struct app_tls_state *st, struct eve_tls *out);

#endif
