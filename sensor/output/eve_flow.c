/* eve_flow: writes the `flow` event of an ended flow.
 * Layout follows Suricata's output-json-flow.c: flow.{pkts,bytes}_to{server,
 * client}, start, end, age, state, reason, alerted; tcp.{tcp_flags,
 * tcp_flags_ts, tcp_flags_tc} for TCP; then `ndpi` with nDPI's own names.
 */
#include <stdio.h>
#include <string.h>

#include "output/eve_flow.h"

static void eve_flow_risk(const char *name, void *arg)
{
    jb_str(arg, NULL, name);
}

/* The tcp object is fixed text but for three hex bytes: built in place
 * and inserted raw (one call instead of five). */
static void eve_flow_tcp(struct jb *j, uint8_t ts, uint8_t tc)
{
    static const char hex[] = "0123456789abcdef";
    static const char tmpl[] = "{\"tcp_flags\":\"00\",\"tcp_flags_ts\":\"00\",\"tcp_flags_tc\":\"00\"}";
    /* offsets of the three two-digit values in tmpl */
    enum { EVE_FLOW_HEX_ALL = 14, EVE_FLOW_HEX_TS = 34, EVE_FLOW_HEX_TC = 54 };
    char s[sizeof(tmpl)];
    uint8_t all = ts | tc;

    memcpy(s, tmpl, sizeof(tmpl));
    s[EVE_FLOW_HEX_ALL] = hex[all >> 4];
    s[EVE_FLOW_HEX_ALL + 1] = hex[all & 15];
    s[EVE_FLOW_HEX_TS] = hex[ts >> 4];
    s[EVE_FLOW_HEX_TS + 1] = hex[ts & 15];
    s[EVE_FLOW_HEX_TC] = hex[tc >> 4];
    s[EVE_FLOW_HEX_TC + 1] = hex[tc & 15];
    jb_raw_k(j, JB_K("tcp"), s, sizeof(tmpl) - 1);
}

int eve_flow_log(struct eve_out *o, struct dpi *d, const struct flow *f, enum flow_end_reason r)
{
    struct jb *j = eve_begin(o, "flow", f, NULL, f->last);
    char name[64];

    jb_open_object_k(j, JB_K("flow"));
    jb_uint_k(j, JB_K("pkts_toserver"), f->pkts[FLOW_DIR_TOSERVER]);
    jb_uint_k(j, JB_K("pkts_toclient"), f->pkts[FLOW_DIR_TOCLIENT]);
    jb_uint_k(j, JB_K("bytes_toserver"), f->bytes[FLOW_DIR_TOSERVER]);
    jb_uint_k(j, JB_K("bytes_toclient"), f->bytes[FLOW_DIR_TOCLIENT]);
    jb_time_k(j, JB_K("start"), f->start);
    jb_time_k(j, JB_K("end"), f->last);
    jb_int_k(j, JB_K("age"), (int64_t)(f->last.tv_sec - f->start.tv_sec));
    jb_str_k(j, JB_K("state"), flow_state_name((enum flow_state)f->state));
    jb_str_k(j, JB_K("reason"), flow_reason_name(r));
    jb_bool_k(j, JB_K("alerted"), f->alerted != 0);
    jb_close_object(j);

    if (f->key.proto == 6)
        eve_flow_tcp(j, f->tcp_flags[0], f->tcp_flags[1]);

    jb_open_object_k(j, JB_K("ndpi"));
    jb_str_k(j, JB_K("protocol"), dpi_proto_name(d, &f->dpi, name, sizeof(name)));
    jb_str_k(j, JB_K("category"), dpi_category_name(d, &f->dpi));
    jb_bool_k(j, JB_K("guessed"), f->dpi.guessed != 0);
    if (dpi_flow_host(&f->dpi)[0] != '\0')
        jb_str_k(j, JB_K("hostname"), dpi_flow_host(&f->dpi));
    if (dpi_flow_ja3c(&f->dpi)[0] != '\0')
        jb_str_k(j, JB_K("ja3"), dpi_flow_ja3c(&f->dpi));
    if (dpi_flow_ja3s(&f->dpi)[0] != '\0')
        jb_str_k(j, JB_K("ja3s"), dpi_flow_ja3s(&f->dpi));
    if (f->dpi.risk != 0) {
        jb_open_array_k(j, JB_K("risks"));
        dpi_risk_each(f->dpi.risk, eve_flow_risk, j);
        jb_close_array(j);
    }
    jb_close_object(j);
    return eve_commit(o);
}
