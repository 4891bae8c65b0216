/* eve_alert: EVE `alert` events in Suricata's shape.
 *
 * One call per alert from the detect stage: alert.{action, gid, signature_id,
 * rev, signature, category, severity, metadata}, the flow's 5-tuple (packet
 * direction), app_proto, flow_id, and the http/dns/tls object of the
 * transaction the alert came from when there is one; payload (base64) and
 * payload_printable when configured. Runs on the worker thread; no allocation.
 */
#ifndef CANH_EVE_ALERT_H
#define CANH_EVE_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "output/eve_writer.h"

/* A byte string borrowed for the call (not NUL-terminated). */
struct eve_bytes {
    const uint8_t *p;
    uint32_t n;
};

/* What the app layer knows about the alert's transaction; all optional. */
struct eve_alert_app {
    const char *app_proto;         /* Suricata's name ("http", "tls", "dns"), NULL unknown */
    bool http, dns, tls;           /* which object to write */
    struct eve_bytes hostname, url, user_agent, method, protocol, content_type;
    int status;                    /* 0 when no response yet */
    int64_t length;                /* response body bytes, -1 unknown */
    struct eve_bytes rrname;       /* dns */
    uint16_t rrtype;
    uint16_t dns_id;
    struct eve_bytes sni, ja3, ja3s; /* tls: ja3/ja3s are md5 hex */
    uint32_t tx_id;
};

/* The http/dns/tls objects of app into an event being built (also used by
 * the protocol logs, sensor/output/eve_proto.c). */
struct jb;
void eve_alert_app_json(struct jb *j, const struct eve_alert_app *app);

/* Which optional parts to write (outputs.eve-log.types.alert.*). */
struct eve_alert_opts {
    bool payload;                  /* base64 of the matched buffer */
    bool payload_printable;        /* printable form of it */
};

/* Write one alert event. p gives the addresses and ports (the direction of
 * the packet or stream data the rule matched); f may be NULL; app may be
 * NULL. Returns 0, or -1 when the line did not fit (counted by the writer). */
int eve_alert_log(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct det_alert *a, const struct eve_alert_app *app,
                  const struct eve_alert_opts *opts);

#endif
