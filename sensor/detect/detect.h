/* detect: Suricata-syntax rules, Hyperscan prefilter and rule evaluation.
 *
 * Life cycle: det_cfg_schema() at config time; det_engine_load() builds an
 * immutable engine (rules parsed, one Hyperscan database per buffer kind,
 * cached on disk); each worker makes its own det_thread (scratch, candidate
 * set, threshold table) and calls det_inspect() per packet or stream chunk
 * with the buffers the app layer filled. A reload builds a new engine and the
 * worker swaps the pointer between packets (det_thread_new() again); the
 * per-flow state (struct det_flow) survives because flowbit names keep their
 * slots across reloads (det_engine_load() takes the previous engine).
 * det_inspect() does not allocate.
 */
#ifndef CANH_DETECT_H
#define CANH_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

struct cfg;
struct det_engine;
struct det_thread;

/* Buffer kinds a rule can inspect. DET_BUF_PAYLOAD is the packet payload or
 * the reassembled stream chunk; the rest are filled by the app layer. */
enum det_buf {
    DET_BUF_PAYLOAD = 0,
    DET_BUF_HTTP_URI,
    DET_BUF_HTTP_URI_RAW,
    DET_BUF_HTTP_METHOD,
    DET_BUF_HTTP_HOST,
    DET_BUF_HTTP_HOST_RAW,
    DET_BUF_HTTP_UA,
    DET_BUF_HTTP_HEADER,
    DET_BUF_HTTP_HEADER_RAW,
    DET_BUF_HTTP_HEADER_NAMES,
    DET_BUF_HTTP_COOKIE,
    DET_BUF_HTTP_STAT_CODE,
    DET_BUF_HTTP_STAT_MSG,
    DET_BUF_HTTP_REQ_BODY,
    DET_BUF_HTTP_RESP_BODY,
    DET_BUF_FILE_DATA,
    DET_BUF_HTTP_CONTENT_TYPE,
    DET_BUF_HTTP_CONTENT_LEN,
    DET_BUF_HTTP_REFERER,
    DET_BUF_HTTP_START,
    DET_BUF_HTTP_LOCATION,
    DET_BUF_HTTP_SERVER,
    DET_BUF_HTTP_ACCEPT,
    DET_BUF_HTTP_ACCEPT_ENC,
    DET_BUF_HTTP_ACCEPT_LANG,
    DET_BUF_HTTP_CONNECTION,
    DET_BUF_HTTP_PROTOCOL,
    DET_BUF_HTTP_REQUEST_LINE,
    DET_BUF_HTTP_RESPONSE_LINE,
    DET_BUF_DNS_QUERY,
    DET_BUF_TLS_SNI,
    DET_BUF_TLS_CERT_SUBJECT,
    DET_BUF_TLS_CERT_ISSUER,
    DET_BUF_TLS_CERT_SERIAL,
    DET_BUF_TLS_CERTS,
    DET_BUF_JA3_HASH,
    DET_BUF_JA3_STRING,
    DET_BUF_JA3S_HASH,
    DET_BUF_SSH_PROTO,
    DET_BUF_SSH_SOFTWARE,
    /* made by det_inspect() from the buffer above them (the dotprefix
     * transform: "." + buffer); callers leave them empty */
    DET_BUF_DNS_QUERY_DOT,
    DET_BUF_TLS_SNI_DOT,
    DET_BUF_HTTP_HOST_DOT,
    DET_BUF_MAX
};

/* Application protocols as the header keyword names them ("http", "dns"...). */
enum det_app {
    DET_APP_UNKNOWN = 0,
    DET_APP_HTTP,
    DET_APP_DNS,
    DET_APP_TLS,
    DET_APP_SSH,
    DET_APP_SMB,
    DET_APP_FTP,
    DET_APP_FTP_DATA,
    DET_APP_SMTP,
    DET_APP_DCERPC,
    DET_APP_IMAP,
    DET_APP_POP3,
    DET_APP_SNMP,
    DET_APP_SIP,
    DET_APP_NTP,
    DET_APP_DHCP,
    DET_APP_KRB5,
    DET_APP_NFS,
    DET_APP_TFTP,
    DET_APP_RDP,
    DET_APP_MODBUS,
    DET_APP_DNP3,
    DET_APP_MQTT,
    DET_APP_MAX
};

/* Name (Suricata's, or an nDPI protocol name such as "HTTP", "DNS", "TLS")
 * to enum det_app; DET_APP_UNKNOWN when it is none of ours. */
enum det_app det_app_from_name(const char *name);
const char *det_app_name(enum det_app a);
/* Name of a buffer ("http.uri"), for logs and the -T report. */
const char *det_buf_name(enum det_buf b);

/* Per-flow detection state, embedded in (or allocated with) the flow and
 * zeroed when the flow is created. Flowbit names map to bit slots that stay
 * stable across reloads. */
#define DET_FLOWBITS_MAX 1024
struct det_flow {
    uint8_t bits[DET_FLOWBITS_MAX / 8];
};

/* det_input.flags */
#define DET_IN_TO_SERVER   0x01u /* packet/buffers go client -> server */
#define DET_IN_ESTABLISHED 0x02u /* the flow saw its handshake (or UDP reply) */
#define DET_IN_STREAM      0x04u /* DET_BUF_PAYLOAD is reassembled stream data */
#define DET_IN_HAS_FLOW    0x08u /* the packet belongs to a tracked flow */
#define DET_IN_NO_PKT_KW   0x10u /* a stream/app-layer pass: skip ttl/dsize/flags... */
#define DET_IN_APP         0x20u /* an app-layer pass (one transaction direction):
                                  * only rules reading app-layer buffers run */
#define DET_IN_PKT_STREAMED 0x40u /* a packet pass whose payload also reaches a stream
                                  * pass: payload rules without packet keywords are
                                  * left to the stream pass (no double alert) */
#define DET_IN_PROTO_DONE  0x80u /* this packet completed the app-protocol detection of its
                                  * direction: rules whose only test is app-layer-protocol
                                  * match here, once, as in Suricata */

/* One inspection: a packet (addresses, ports, header fields) and the
 * buffers present for it. Buffers with len 0 and ptr NULL are absent. */
struct det_buf_ref {
    const uint8_t *ptr;
    uint32_t len;
};

struct det_input {
    const struct packet *p;       /* required */
    struct det_flow *flow;        /* NULL when there is no flow */
    uint32_t flags;               /* DET_IN_* */
    enum det_app app;             /* protocol of the flow as classified */
    enum det_app app_ts, app_tc;  /* per-direction protocol if known (else app) */
    struct det_buf_ref buf[DET_BUF_MAX];
    /* Stream pass (DET_IN_STREAM): DET_BUF_PAYLOAD is [tail of earlier data |
     * new data] and stream_new is where the new data starts. A payload list
     * matches when it matches in the new data alone, or in the whole buffer
     * with a match ending in the new data: a content spanning two deliveries
     * is found once, and history is never rescanned. 0 elsewhere. */
    uint32_t stream_new;
};

/* An alert. Strings borrow from the engine (valid while it lives). */
#define DET_ACTION_ALERT 0
#define DET_ACTION_DROP  1
#define DET_ACTION_PASS  2
#define DET_ACTION_REJECT 3
#define DET_TARGET_NONE 0
#define DET_TARGET_SRC  1
#define DET_TARGET_DST  2

struct det_alert {
    uint32_t sid, gid, rev;
    int priority;          /* severity in EVE */
    int action;            /* DET_ACTION_* */
    int target;            /* DET_TARGET_* */
    const char *msg;       /* "" when the rule has none */
    const char *category;  /* classtype description, "" when none */
    const char *metadata;  /* JSON object text {"key":["v",...]} or NULL */
    const uint8_t *payload; /* the buffer the rule matched last (may be NULL) */
    uint32_t payload_len;
};

/* Adds the detect keys to c: vars.address-groups.*, vars.port-groups.*,
 * default-rule-path, rule-files, classification-file, reference-config-file,
 * threshold-file, detect.* (cache), the libhtp limits and mpm-algo/spm-algo.
 * Returns 0 or a negative error. */
int det_cfg_schema(struct cfg *c);

/* What a load found; filled by det_engine_load() when st is not NULL. */
struct det_load_stats {
    size_t rules_total;      /* rule lines seen */
    size_t rules_loaded;
    size_t rules_failed;
    size_t rules_mpm;        /* rules with a fast pattern in Hyperscan */
    size_t rules_port_mpm;   /* of those, in a port group's database (payload, short port list) */
    size_t rules_addr_index; /* without a fast pattern, found through the address index */
    size_t patterns;         /* unique fast patterns */
    size_t databases;        /* Hyperscan databases */
    size_t cache_hits, cache_misses;
    double parse_ms, compile_ms;
};

/* Load every rule file (plus the config's rule-files when files is NULL),
 * compile the databases (or read them from the cache) and return the engine.
 * A bad rule is reported (file:line: sid: reason) and skipped, never fatal.
 * old, when not NULL, is the engine being replaced: flowbit slots are kept.
 * report, when true, prints each rejected rule to stderr through log_error.
 * Returns NULL only on a fatal problem (no memory, config files missing,
 * Hyperscan failure). */
struct det_engine *det_engine_load(const struct cfg *c, const char *const *files, size_t nfiles,
                                   const struct det_engine *old, struct det_load_stats *st);
void det_engine_free(struct det_engine *e);
size_t det_engine_rule_count(const struct det_engine *e);

/* `canh-sensor -T -S FILE`: load, print the report and the Suricata summary
 * line "N rules successfully loaded, M rules failed" to stdout.
 * Returns 0 when the engine could be built (even with failed rules), 1 otherwise. */
int det_check_main(struct cfg *c, const char *const *rule_files, size_t n);

/* Per-worker state for one engine. Not shared; free before the engine. */
struct det_thread *det_thread_new(const struct det_engine *e);
void det_thread_free(struct det_thread *t);

/* Inspect one packet or chunk; writes up to max alerts into out and returns
 * how many. Which rules a pass runs (Suricata's split):
 *   packet pass (no DET_IN_STREAM/APP): rules without app-layer buffers;
 *     with DET_IN_PKT_STREAMED, payload rules only if they have packet
 *     keywords (dsize, flags...) or are tcp-pkt/no_stream;
 *   stream pass (DET_IN_STREAM): payload rules without packet keywords;
 *   app pass (DET_IN_APP): rules reading app-layer buffers. Flowbits in in->flow are updated; thresholds use packet time.
 * Never allocates. */
int det_inspect(struct det_thread *t, const struct det_input *in, struct det_alert *out, int max);

/* Counters for the stats EVE. */
struct det_thread_stats {
    uint64_t inspected, scans, candidates, evaluated, alerts, suppressed, alerts_dropped;
};
void det_thread_stats(const struct det_thread *t, struct det_thread_stats *out);

#endif
