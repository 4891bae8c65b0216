/* eve_alert: alert events (see eve_alert.h). Field names and value forms
 * follow Suricata's output-json-alert.c: action "allowed"/"blocked",
 * metadata as an object of arrays, payload base64, payload_printable with
 * non-printable bytes as '.'.
 */
#include <string.h>

#include "classify/dpi_ndpi.h"
#include "output/eve_alert.h"

#define EVE_ALERT_PAYLOAD_MAX 4096   /* bytes of payload written (the line cap is 64 KiB) */

static const char *eve_alert_action(int a)
{
    return a == DET_ACTION_DROP || a == DET_ACTION_REJECT ? "blocked" : "allowed";
}

static void eve_alert_bytes(struct jb *j, const char *k, size_t kn, struct eve_bytes b)
{
    if (b.p != NULL && b.n > 0)
        jb_strn_k(j, k, kn, (const char *)b.p, b.n);
}

static void eve_alert_base64(struct jb *j, const char *k, size_t kn, const uint8_t *d, uint32_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[(EVE_ALERT_PAYLOAD_MAX + 2) / 3 * 4 + 1];
    size_t o = 0;

    for (uint32_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n)
            v |= d[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    jb_strn_k(j, k, kn, out, o);
}

static void eve_alert_printable(struct jb *j, const char *k, size_t kn, const uint8_t *d,
                                uint32_t n)
{
    char out[EVE_ALERT_PAYLOAD_MAX];

    for (uint32_t i = 0; i < n; i++)
        out[i] = (d[i] >= 32 && d[i] < 127) || d[i] == '\n' || d[i] == '\r' || d[i] == '\t'
                     ? (char)d[i] : '.';
    jb_strn_k(j, k, kn, out, n);
}

static const char *eve_alert_rrtype(uint16_t t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: return "OTHER";
    }
}

static void eve_alert_app_objects(struct jb *j, const struct eve_alert_app *app)
{
    if (app->http) {
        jb_open_object_k(j, JB_K("http"));
        eve_alert_bytes(j, JB_K("hostname"), app->hostname);
        eve_alert_bytes(j, JB_K("url"), app->url);
        eve_alert_bytes(j, JB_K("http_user_agent"), app->user_agent);
        eve_alert_bytes(j, JB_K("http_content_type"), app->content_type);
        eve_alert_bytes(j, JB_K("http_method"), app->method);
        eve_alert_bytes(j, JB_K("protocol"), app->protocol);
        if (app->status > 0)
            jb_int_k(j, JB_K("status"), app->status);
        if (app->length >= 0)
            jb_int_k(j, JB_K("length"), app->length);
        jb_close_object(j);
    }
    if (app->dns) {
        jb_open_object_k(j, JB_K("dns"));
        jb_open_array_k(j, JB_K("query"));
        jb_open_object(j, NULL);
        jb_str_k(j, JB_K("type"), "query");
        jb_uint_k(j, JB_K("id"), app->dns_id);
        eve_alert_bytes(j, JB_K("rrname"), app->rrname);
        jb_str_k(j, JB_K("rrtype"), eve_alert_rrtype(app->rrtype));
        jb_close_object(j);
        jb_close_array(j);
        jb_close_object(j);
    }
    if (app->tls) {
        jb_open_object_k(j, JB_K("tls"));
        eve_alert_bytes(j, JB_K("sni"), app->sni);
        if (app->ja3.n > 0) {
            jb_open_object_k(j, JB_K("ja3"));
            eve_alert_bytes(j, JB_K("hash"), app->ja3);
            jb_close_object(j);
        }
        if (app->ja3s.n > 0) {
            jb_open_object_k(j, JB_K("ja3s"));
            eve_alert_bytes(j, JB_K("hash"), app->ja3s);
            jb_close_object(j);
        }
        jb_close_object(j);
    }
}

void eve_alert_app_json(struct jb *j, const struct eve_alert_app *app)
{
    eve_alert_app_objects(j, app);
}

int eve_alert_log(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct det_alert *a, const struct eve_alert_app *app,
                  const struct eve_alert_opts *opts)
{
    struct jb *j = eve_begin(o, "alert", f, p, p != NULL ? p->ts : f->last);

    /* eve_begin writes app_proto from a final nDPI verdict; otherwise ours */
    bool has_ap = f != NULL && f->dpi.done && (dpi_app_proto(&f->dpi) != NULL || f->dpi.payload_seen);
    if (!has_ap && app != NULL && app->app_proto != NULL)
        jb_str_k(j, JB_K("app_proto"), app->app_proto);
    if (app != NULL && (app->http || app->dns || app->tls))
        jb_uint_k(j, JB_K("tx_id"), app->tx_id);
    if (f != NULL && p != NULL) {
        /* Suricata 7's field: which way the alerting packet went, so
         * correlation can tell an attack on a server from a download. */
        const uint8_t *cip = f->client_is_lo ? f->key.ip_lo : f->key.ip_hi;
        bool to_server = memcmp(p->src, cip, sizeof(p->src)) == 0 &&
                         p->sport == (f->client_is_lo ? f->key.port_lo : f->key.port_hi);
        jb_str_k(j, JB_K("direction"), to_server ? "to_server" : "to_client");
    }
    jb_open_object_k(j, JB_K("alert"));
    jb_str_k(j, JB_K("action"), eve_alert_action(a->action));
    jb_uint_k(j, JB_K("gid"), a->gid);
    jb_uint_k(j, JB_K("signature_id"), a->sid);
    jb_uint_k(j, JB_K("rev"), a->rev);
    jb_str_k(j, JB_K("signature"), a->msg != NULL ? a->msg : "");
    jb_str_k(j, JB_K("category"), a->category != NULL ? a->category : "");
    jb_int_k(j, JB_K("severity"), a->priority);
    if (a->metadata != NULL)
        jb_raw_k(j, JB_K("metadata"), a->metadata, strlen(a->metadata));
    jb_close_object(j);
    if (app != NULL)
        eve_alert_app_objects(j, app);
    if (opts != NULL && a->payload != NULL && a->payload_len > 0) {
        uint32_t n = a->payload_len < EVE_ALERT_PAYLOAD_MAX ? a->payload_len : EVE_ALERT_PAYLOAD_MAX;
        if (opts->payload)
            eve_alert_base64(j, JB_K("payload"), a->payload, n);
        if (opts->payload_printable)
            eve_alert_printable(j, JB_K("payload_printable"), a->payload, n);
    }
    return eve_commit(o);
}
