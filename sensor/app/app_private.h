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
 * buffers of that direction and the EVE view, valid for the call only. */
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
struct app_dns_msg {
    uint16_t id, qtype;
    bool response;
    char qname[256];          /* dotted, no trailing dot; "" for the root */
    uint32_t qname_len;
};
/* Parse the header and first question of a DNS message (UDP payload, or TCP
 * after the 2-byte length). 0, or -1 when it is not a DNS message we read. */
int app_dns_parse(const uint8_t *d, size_t n, struct app_dns_msg *out);

/* ---- TLS (app_tls.c) ---- */
#define APP_TLS_SNI_MAX 256
struct app_tls_hello {
    char sni[APP_TLS_SNI_MAX];
    uint32_t sni_len;
    char ja3[33];             /* md5 hex of the JA3 (ClientHello) or JA3S string */
    char ja3_str[1024];
    uint32_t ja3_str_len;
};
/* Parse a ClientHello (client=true) or ServerHello from the start of a TLS
 * stream: records of d[0..n). Returns 1 when parsed, 0 when more bytes are
 * needed, -1 when it is not one. */
int app_tls_parse_hello(const uint8_t *d, size_t n, bool client, struct app_tls_hello *out);

#endif
