/* eve_proto: http/dns/tls EVE events (see eve_proto.h). An http event reads
 * client -> server, as Suricata's; dns and tls events the packet's way.
 * Field names and value forms follow Suricata 7's output-json-dns.c (version
 * 2, detailed + grouped formats) and output-json-tls.c (extended fields).
 */
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

/* eve_begin wrote app_proto from a final nDPI verdict; otherwise ours. */
static void eve_proto_app(struct jb *j, const struct flow *f, const char *type)
{
    if (f == NULL || !f->dpi.done || (dpi_app_proto(&f->dpi) == NULL && !f->dpi.payload_seen))
        jb_str_k(j, JB_K("app_proto"), type);
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
    eve_proto_app(j, f, type);
    if (app->http || app->dns)
        jb_uint_k(j, JB_K("tx_id"), app->tx_id);
    if (app->dns && dns_answer) {
        jb_open_object_k(j, JB_K("dns"));
        jb_str_k(j, JB_K("type"), "answer");
        jb_uint_k(j, JB_K("id"), app->dns_id);
        jb_strn_k(j, JB_K("rrname"), (const char *)app->rrname.p, app->rrname.n);
        jb_close_object(j);
        a.dns = false;
    }
    eve_alert_app_json(j, &a);
    return eve_commit(o);
}

/* ---- dns ---- */

static const char *const eve_dns_types[] = {
    [1] = "A", [2] = "NS", [3] = "MD", [4] = "MF", [5] = "CNAME", [6] = "SOA", [7] = "MB",
    [8] = "MG", [9] = "MR", [10] = "NULL", [11] = "WKS", [12] = "PTR", [13] = "HINFO",
    [14] = "MINFO", [15] = "MX", [16] = "TXT", [17] = "RP", [18] = "AFSDB", [19] = "X25",
    [20] = "ISDN", [21] = "RT", [22] = "NSAP", [23] = "NSAPPTR", [24] = "SIG", [25] = "KEY",
    [26] = "PX", [27] = "GPOS", [28] = "AAAA", [29] = "LOC", [30] = "NXT", [33] = "SRV",
    [34] = "ATMA", [35] = "NAPTR", [36] = "KX", [37] = "CERT", [38] = "A6", [39] = "DNAME",
    [41] = "OPT", [42] = "APL", [43] = "DS", [44] = "SSHFP", [45] = "IPSECKEY", [46] = "RRSIG",
    [47] = "NSEC", [48] = "DNSKEY", [49] = "DHCID", [50] = "NSEC3", [51] = "NSEC3PARAM",
    [52] = "TLSA", [55] = "HIP", [59] = "CDS", [60] = "CDNSKEY", [64] = "SVCB", [65] = "HTTPS",
    [99] = "SPF", [249] = "TKEY", [250] = "TSIG", [251] = "IXFR", [252] = "AXFR",
    [253] = "MAILB", [254] = "MAILA", [255] = "ANY",
};

const char *eve_proto_dns_rrtype(uint16_t t)
{
    if (t < sizeof(eve_dns_types) / sizeof(eve_dns_types[0]))
        return eve_dns_types[t];
    return t == 256 ? "URI" : t == 257 ? "CAA" : NULL;
}

const char *eve_proto_dns_rcode(uint8_t rc)
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                         "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
                                         "NOTZONE" };
    return rc < sizeof(names) / sizeof(names[0]) ? names[rc] : NULL;
}

/* A type without a name goes out as its number, in a string. */
static const char *eve_dns_type_name(uint16_t t, char num[8])
{
    const char *n = eve_proto_dns_rrtype(t);

    if (n != NULL)
        return n;
    *jb_fmt_u64(num, t) = '\0';
    return num;
}

static void eve_dns_type(struct jb *j, const char *k, size_t kn, uint16_t t)
{
    char num[8];

    jb_str_k(j, k, kn, eve_dns_type_name(t, num));
}

/* The header flags in lower-case hex without leading zeros ("%x"). */
static void eve_dns_flags(struct jb *j, uint16_t flags)
{
    static const char hex[] = "0123456789abcdef";
    char t[4];
    int n = 0;

    for (int sh = 12; sh >= 0; sh -= 4)
        if (n > 0 || (flags >> sh) != 0 || sh == 0)
            t[n++] = hex[(flags >> sh) & 15];
    jb_strn_k(j, JB_K("flags"), t, (size_t)n);
}

static void eve_dns_text(struct jb *j, const char *k, size_t kn, const struct eve_dns *m,
                         uint32_t off, uint32_t len)
{
    jb_strn_k(j, k, kn, m->text + off, len);
}

/* One record: {rrname, rrtype, ttl, rdata | soa{} | srv{}}. */
static void eve_dns_rr(struct jb *j, const struct eve_dns *m, const struct eve_dns_rr *rr)
{
    jb_open_object(j, NULL);
    eve_dns_text(j, JB_K("rrname"), m, rr->name_off, rr->name_len);
    eve_dns_type(j, JB_K("rrtype"), rr->rrtype);
    jb_uint_k(j, JB_K("ttl"), rr->ttl);
    if (rr->rrtype == 6) {
        jb_open_object_k(j, JB_K("soa"));
        eve_dns_text(j, JB_K("mname"), m, rr->data_off, rr->data_len);
        eve_dns_text(j, JB_K("rname"), m, rr->data2_off, rr->data2_len);
        jb_uint_k(j, JB_K("serial"), rr->num[0]);
        jb_uint_k(j, JB_K("refresh"), rr->num[1]);
        jb_uint_k(j, JB_K("retry"), rr->num[2]);
        jb_uint_k(j, JB_K("expire"), rr->num[3]);
        jb_uint_k(j, JB_K("minimum"), rr->num[4]);
        jb_close_object(j);
    } else if (rr->rrtype == 33) {
        jb_open_object_k(j, JB_K("srv"));
        jb_uint_k(j, JB_K("priority"), rr->num[0]);
        jb_uint_k(j, JB_K("weight"), rr->num[1]);
        jb_uint_k(j, JB_K("port"), rr->num[2]);
        eve_dns_text(j, JB_K("name"), m, rr->data_off, rr->data_len);
        jb_close_object(j);
    } else {
        eve_dns_text(j, JB_K("rdata"), m, rr->data_off, rr->data_len);
    }
    jb_close_object(j);
}

/* grouped: {"A":[rdata..], "CNAME":[..], ...} over the answers, types in
 * order of first appearance. SOA and SRV have no one-string form. */
static void eve_dns_grouped(struct jb *j, const struct eve_dns *m)
{
    bool done[EVE_DNS_RR_MAX] = { false };

    jb_open_object_k(j, JB_K("grouped"));
    for (uint16_t i = 0; i < m->nrr; i++) {
        const struct eve_dns_rr *a = &m->rr[i];
        if (done[i] || a->section != EVE_DNS_ANSWER || a->rrtype == 6 || a->rrtype == 33)
            continue;
        char num[8];
        jb_open_array(j, eve_dns_type_name(a->rrtype, num));
        for (uint16_t k = i; k < m->nrr; k++) {
            const struct eve_dns_rr *b = &m->rr[k];
            if (b->section == EVE_DNS_ANSWER && b->rrtype == a->rrtype) {
                jb_strn(j, NULL, m->text + b->data_off, b->data_len);
                done[k] = true;
            }
        }
        jb_close_array(j);
    }
    jb_close_object(j);
}

int eve_proto_dns(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_dns *m, uint64_t tx_id)
{
    struct jb *j = eve_begin(o, "dns", f, p, p != NULL ? p->ts : f->last);
    uint16_t nan = 0, nns = 0;

    eve_proto_app(j, f, "dns");
    jb_open_object_k(j, JB_K("dns"));
    if (!m->response) {
        jb_str_k(j, JB_K("type"), "query");
        jb_uint_k(j, JB_K("id"), m->id);
        jb_strn_k(j, JB_K("rrname"), m->qname, m->qname_len);
        eve_dns_type(j, JB_K("rrtype"), m->qtype);
        jb_uint_k(j, JB_K("tx_id"), tx_id);
        jb_uint_k(j, JB_K("opcode"), m->opcode);
        jb_close_object(j);
        return eve_commit(o);
    }
    jb_uint_k(j, JB_K("version"), 2);
    jb_str_k(j, JB_K("type"), "answer");
    jb_uint_k(j, JB_K("id"), m->id);
    eve_dns_flags(j, m->flags);
    jb_bool_k(j, JB_K("qr"), true);
    if (m->flags & 0x0400)
        jb_bool_k(j, JB_K("aa"), true);
    if (m->flags & 0x0200)
        jb_bool_k(j, JB_K("tc"), true);
    if (m->flags & 0x0100)
        jb_bool_k(j, JB_K("rd"), true);
    if (m->flags & 0x0080)
        jb_bool_k(j, JB_K("ra"), true);
    if (m->flags & 0x0040)
        jb_bool_k(j, JB_K("z"), true);
    jb_uint_k(j, JB_K("opcode"), m->opcode);
    jb_strn_k(j, JB_K("rrname"), m->qname, m->qname_len);
    eve_dns_type(j, JB_K("rrtype"), m->qtype);
    const char *rc = eve_proto_dns_rcode(m->rcode);
    if (rc != NULL) {
        jb_str_k(j, JB_K("rcode"), rc);
    } else {
        char num[4];
        jb_strn_k(j, JB_K("rcode"), num, (size_t)(jb_fmt_u64(num, m->rcode) - num));
    }
    for (uint16_t i = 0; i < m->nrr; i++) {
        nan += m->rr[i].section == EVE_DNS_ANSWER;
        nns += m->rr[i].section == EVE_DNS_AUTHORITY;
    }
    if (nan > 0) {
        jb_open_array_k(j, JB_K("answers"));
        for (uint16_t i = 0; i < m->nrr; i++)
            if (m->rr[i].section == EVE_DNS_ANSWER)
                eve_dns_rr(j, m, &m->rr[i]);
        jb_close_array(j);
        eve_dns_grouped(j, m);
    }
    if (nns > 0) {
        jb_open_array_k(j, JB_K("authorities"));
        for (uint16_t i = 0; i < m->nrr; i++)
            if (m->rr[i].section == EVE_DNS_AUTHORITY)
                eve_dns_rr(j, m, &m->rr[i]);
        jb_close_array(j);
    }
    jb_close_object(j);
    jb_uint_k(j, JB_K("tx_id"), tx_id);
    return eve_commit(o);
}

/* ---- tls ---- */

static void eve_tls_bytes(struct jb *j, const char *k, size_t kn, struct eve_bytes b)
{
    if (b.p != NULL && b.n > 0)
        jb_strn_k(j, k, kn, (const char *)b.p, b.n);
}

static void eve_tls_ja3(struct jb *j, const char *k, size_t kn, struct eve_bytes hash,
                        struct eve_bytes str)
{
    if (hash.n == 0)
        return;
    jb_open_object_k(j, k, kn);
    eve_tls_bytes(j, JB_K("hash"), hash);
    eve_tls_bytes(j, JB_K("string"), str);
    jb_close_object(j);
}

int eve_proto_tls(struct eve_out *o, const struct flow *f, const struct packet *p,
                  const struct eve_tls *t)
{
    struct jb *j = eve_begin(o, "tls", f, p, p != NULL ? p->ts : f->last);

    eve_proto_app(j, f, "tls");
    jb_open_object_k(j, JB_K("tls"));
    eve_tls_bytes(j, JB_K("subject"), t->subject);
    eve_tls_bytes(j, JB_K("issuerdn"), t->issuerdn);
    eve_tls_bytes(j, JB_K("serial"), t->serial);
    eve_tls_bytes(j, JB_K("fingerprint"), t->fingerprint);
    eve_tls_bytes(j, JB_K("sni"), t->sni);
    eve_tls_bytes(j, JB_K("version"), t->version);
    eve_tls_bytes(j, JB_K("notbefore"), t->notbefore);
    eve_tls_bytes(j, JB_K("notafter"), t->notafter);
    eve_tls_ja3(j, JB_K("ja3"), t->ja3, t->ja3_string);
    eve_tls_ja3(j, JB_K("ja3s"), t->ja3s, t->ja3s_string);
    jb_close_object(j);
    return eve_commit(o);
}
