/* eve_proto: http/dns/tls EVE events (see eve_proto.h). An http event reads
 * client -> server, as Suricata's; dns and tls events the packet's way. */
#include <string.h>

#include "cfg.h"
#include "classify/dpi_ndpi.h"
#include "output/eve_proto.h"

static const struct cfg_opt eve_proto_opts_schema[] = {
    { "outputs.eve-log.types.http", CFG_BOOL, "yes", 0, 0, "http events (one per transaction)" },
    { "outputs.eve-log.types.dns", CFG_BOOL, "yes", 0, 0, "dns events (queries and answers)" },
    { "outputs.eve-log.types.tls", CFG_BOOL, "yes", 0, 0, "tls events (one per handshake)" },
};

int eve_proto_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, eve_proto_opts_schema,
                          sizeof(eve_proto_opts_schema) / sizeof(eve_proto_opts_schema[0]));
}

void eve_proto_cfg_read(const struct cfg *c, struct eve_proto_opts *out)
{
    out->http = cfg_get_bool(c, "outputs.eve-log.types.http");
    out->dns = cfg_get_bool(c, "outputs.eve-log.types.dns");
    out->tls = cfg_get_bool(c, "outputs.eve-log.types.tls");
}

int eve_proto_log(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_alert_app *app, bool dns_answer)
{
    const char *type = app->http ? "http" : app->dns ? "dns" : app->tls ? "tls" : NULL;
    struct eve_alert_app a = *app;
    struct jb *j;

    if (type == NULL)
        return -1;
    j = eve_begin(o, type, f, p, p != NULL ? p->ts : f->last);
    /* eve_begin wrote app_proto from a final nDPI verdict; otherwise ours */
    if (f == NULL || !f->dpi.done || (dpi_app_proto(&f->dpi) == NULL && !f->dpi.payload_seen))
        jb_str(j, "app_proto", type);
    if (app->http || app->dns)
        jb_uint(j, "tx_id", app->tx_id);
    if (app->dns && dns_answer) {
        /* an answer: Suricata's {"type":"answer","id","rrname","rrtype"} */
        jb_open_object(j, "dns");
        jb_str(j, "type", "answer");
        jb_uint(j, "id", app->dns_id);
        jb_strn(j, "rrname", (const char *)app->rrname.p, app->rrname.n);
        jb_close_object(j);
        a.dns = false;
    }
    eve_alert_app_json(j, &a);
    return eve_commit(o);
}
