/* eve_proto: EVE protocol logs for responders, with Suricata's field names:
 * `http` (one per transaction: when its response is complete, or at flow
 * end / parser close for a transaction that never got one), `dns` (each
 * query and each answer, Suricata's version 2 format: answers, grouped,
 * authorities, rcode, flags) and `tls` (once per handshake: when the server
 * certificate is parsed, when the server direction turns encrypted without
 * one (TLS 1.3, resumption), or at flow end), each switchable in sensor.yaml
 * under outputs.eve-log.types.{http,dns,tls}. The http object is the one
 * alerts carry (eve_alert_app_json), so the two never disagree.
 * Runs on the worker thread; no allocation.
 */
#ifndef CANH_EVE_PROTO_H
#define CANH_EVE_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve_alert.h"
#include "output/eve_writer.h"

struct cfg;

struct eve_proto_opts {
    bool http, dns, tls;
};

/* outputs.eve-log.types.{http,dns,tls}. 0 or -1. */
int eve_proto_cfg_schema(struct cfg *c);
void eve_proto_cfg_read(const struct cfg *c, struct eve_proto_opts *out);

/* One event of type app->app_proto ("http", "dns" or "tls"); p gives the
 * direction (may be NULL: the flow's, client first). dns_answer: the DNS
 * message is a response. 0, or -1 when it did not fit (counted). Prefer
 * eve_proto_dns/eve_proto_tls, which carry everything the parsers know. */
int eve_proto_log(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_alert_app *app, bool dns_answer);

/* ---- DNS: a parsed message (filled by sensor/app/app_dns.c) ---- */

#define EVE_DNS_RR_MAX 32          /* answer + authority records kept per message */
#define EVE_DNS_TEXT_MAX 8192      /* names and rdata text of one message */
#define EVE_DNS_RDATA_MAX 1024     /* text kept of one record's rdata (TXT, NULL, ...) */

enum eve_dns_section { EVE_DNS_ANSWER = 1, EVE_DNS_AUTHORITY = 2 };

/* One resource record; strings are (offset, length) into eve_dns.text. */
struct eve_dns_rr {
    uint16_t rrtype;
    uint8_t section;               /* enum eve_dns_section */
    uint32_t ttl;
    uint32_t name_off, name_len;
    uint32_t data_off, data_len;   /* rdata as Suricata prints it; SOA: mname; SRV: target */
    uint32_t data2_off, data2_len; /* SOA: rname */
    uint32_t num[5];               /* SOA: serial refresh retry expire minimum; SRV: prio weight port */
};

struct eve_dns {
    uint16_t id, flags, qtype;
    uint8_t opcode, rcode;
    bool response;
    char qname[256];               /* dotted, no trailing dot; "" for the root */
    uint32_t qname_len;
    uint16_t nrr;                  /* records in rr[] */
    bool rr_cut;                   /* records left out: no room, or the message is cut */
    struct eve_dns_rr rr[EVE_DNS_RR_MAX];
    uint32_t text_len;
    char text[EVE_DNS_TEXT_MAX];
};

/* The dns event of message m: a query {type:"query", id, rrname, rrtype,
 * tx_id, opcode} or an answer {version:2, type:"answer", id, flags, qr, aa,
 * tc, rd, ra, z, opcode, rrname, rrtype, rcode, answers:[{rrname, rrtype,
 * ttl, rdata | soa | srv}], grouped:{A:[..], ...}, authorities:[..]}.
 * p: the packet (or stream direction) the message came in. 0 or -1. */
int eve_proto_dns(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_dns *m, uint64_t tx_id);
/* Suricata's names of DNS record types and response codes ("A", "NXDOMAIN");
 * NULL when unnamed (the number is then written). */
const char *eve_proto_dns_rrtype(uint16_t t);
const char *eve_proto_dns_rcode(uint8_t rc);

/* ---- TLS: what the handshake showed (filled by sensor/app/app_tls.c) ---- */

struct eve_tls {
    struct eve_bytes sni, version;           /* version: "TLS 1.2", "TLS 1.3", "SSLv3", ... */
    struct eve_bytes subject, issuerdn, serial, fingerprint, notbefore, notafter;
    struct eve_bytes ja3, ja3_string, ja3s, ja3s_string;
};

/* The tls event (fields present only when known). p: the direction to
 * write (NULL: client first). 0 or -1. */
int eve_proto_tls(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_tls *t);

#endif
