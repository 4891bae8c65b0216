/* eve_proto: EVE protocol logs for responders: `http` (one per transaction,
 * when its response is complete), `dns` (each query and each answer) and
 * `tls` (once per handshake, at the ServerHello), with Suricata's field
 * names (http.hostname, url, http_user_agent, http_content_type,
 * http_method, protocol, status, length; dns.type, id, rrname, rrtype;
 * tls.sni, ja3.hash, ja3s.hash), each switchable in sensor.yaml under
 * outputs.eve-log.types.{http,dns,tls}. The objects are the ones alerts
 * carry (eve_alert_app_json), so the two never disagree.
 * Runs on the worker thread; no allocation.
 */
#ifndef CANH_EVE_PROTO_H
#define CANH_EVE_PROTO_H

#include <stdbool.h>

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
 * message is a response. 0, or -1 when it did not fit (counted). */
int eve_proto_log(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_alert_app *app, bool dns_answer);

#endif
