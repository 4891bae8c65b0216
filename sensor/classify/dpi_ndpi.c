/* dpi_ndpi: the only file that talks to nDPI (4.2 API). See dpi_ndpi.h.
 *
 * Pool: nDPI flow structs are carved in chunks of DPI_CHUNK (allocated on
 * flow creation only when the free list is empty, never per packet) up to
 * max_active; a flow is returned with ndpi_free_flow_data() + memset.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "classify/dpi_ndpi.h"
#include "flow/flow_mem.h"
#include "log.h"

#define DPI_CHUNK        4096   /* 2.7 MB: huge pages (flow/flow_mem.h) */
#define DPI_MAX_TCP_PKTS 80 /* ndpiReader's max_num_tcp_dissected_pkts */
#define DPI_MAX_UDP_PKTS 24 /* ndpiReader's max_num_udp_dissected_pkts */
#define DPI_MAX_OTHER_PKTS 32

struct dpi_free_node {
    struct dpi_free_node *next;
};

struct dpi_chunk {
    struct dpi_chunk *next;
    /* DPI_CHUNK flow structs follow, each flow_size bytes */
};

struct dpi {
    struct ndpi_detection_module_struct *ndpi;
    size_t flow_size;
    uint32_t max_active;
    uint32_t allocated;
    struct dpi_free_node *free_list;
    struct dpi_chunk *chunks;
    struct dpi_stats st;
};

static _Atomic uint64_t dpi_mem;

/* Counted with malloc_usable_size so that a block nDPI frees that did not
 * come from the hook cannot corrupt anything (it only skews the count). */
static void *dpi_malloc_hook(size_t n)
{
    void *p = malloc(n);

    if (p != NULL)
        atomic_fetch_add_explicit(&dpi_mem, malloc_usable_size(p), memory_order_relaxed);
    return p;
}

static void dpi_free_hook(void *p)
{
    if (p == NULL)
        return;
    atomic_fetch_sub_explicit(&dpi_mem, malloc_usable_size(p), memory_order_relaxed);
    free(p);
}

void dpi_global_init(void)
{
    set_ndpi_malloc(dpi_malloc_hook);
    set_ndpi_free(dpi_free_hook);
}

uint64_t dpi_mem_in_use(void)
{
    return atomic_load_explicit(&dpi_mem, memory_order_relaxed);
}

const char *dpi_version(void)
{
    return ndpi_revision();
}

struct dpi *dpi_new(uint32_t max_active)
{
    struct dpi *d = calloc(1, sizeof(*d));
    NDPI_PROTOCOL_BITMASK all;

    if (d == NULL)
        goto fail;
    d->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (d->ndpi == NULL)
        goto fail;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
    ndpi_finalize_initialization(d->ndpi);
    d->flow_size = (ndpi_detection_get_sizeof_ndpi_flow_struct() + 15) & ~(size_t)15;
    d->max_active = max_active;
    return d;
fail:
    log_error("dpi", "cannot initialise nDPI %s: out of memory", ndpi_revision());
    dpi_free(d);
    return NULL;
}

void dpi_free(struct dpi *d)
{
    if (d == NULL)
        return;
    while (d->chunks != NULL) {
        struct dpi_chunk *c = d->chunks;
        d->chunks = c->next;
        free(c);
    }
    if (d->ndpi != NULL)
        ndpi_exit_detection_module(d->ndpi);
    free(d);
}

static struct ndpi_flow_struct *dpi_pool_get(struct dpi *d)
{
    struct dpi_free_node *n;

    if (d->free_list == NULL) {
        if (d->allocated >= d->max_active)
            return NULL;
        struct dpi_chunk *c = NULL;
        if (posix_memalign((void **)&c, FLOW_MEM_HUGE, sizeof(*c) + 16 + DPI_CHUNK * d->flow_size) != 0)
            return NULL;
        flow_mem_huge(c, sizeof(*c) + 16 + DPI_CHUNK * d->flow_size);
        c->next = d->chunks;
        d->chunks = c;
        uint8_t *base = (uint8_t *)(((uintptr_t)(c + 1) + 15) & ~(uintptr_t)15);
        for (int i = DPI_CHUNK - 1; i >= 0; i--) {
            n = (struct dpi_free_node *)(base + (size_t)i * d->flow_size);
            n->next = d->free_list;
            d->free_list = n;
        }
        d->allocated += DPI_CHUNK;
        d->st.pool_bytes += sizeof(*c) + 16 + DPI_CHUNK * d->flow_size;
    }
    n = d->free_list;
    d->free_list = n->next;
    memset(n, 0, d->flow_size);
    d->st.active++;
    return (struct ndpi_flow_struct *)n;
}

static void dpi_pool_put(struct dpi *d, struct ndpi_flow_struct *nf)
{
    struct dpi_free_node *n = (struct dpi_free_node *)nf;

    ndpi_free_flow_data(nf);
    n->next = d->free_list;
    d->free_list = n;
    d->st.active--;
}

static bool dpi_is_tls_like(uint16_t id)
{
    return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC || id == NDPI_PROTOCOL_DTLS ||
           id == NDPI_PROTOCOL_MAIL_SMTPS;
}

/* Copy what EVE reports out of the nDPI flow, then release it. */
static void dpi_finish(struct dpi *d, struct flow *f, ndpi_protocol proto, bool guessed)
{
    struct dpi_flow *df = &f->dpi;
    struct ndpi_flow_struct *nf = df->ndpi;

    df->master = proto.master_protocol;
    df->app = proto.app_protocol;
    df->category = (uint16_t)proto.category;
    df->guessed = guessed;
    df->done = 1;
    if (nf != NULL) {
        df->risk = nf->risk;
        df->confidence = (uint8_t)nf->confidence;
        /* Longer names are cut (DPI_HOST_MAX): the flow record stays small. */
        size_t hl = strnlen((const char *)nf->host_server_name, sizeof(nf->host_server_name));
        if (hl >= sizeof(df->host))
            hl = sizeof(df->host) - 1;
        memcpy(df->host, nf->host_server_name, hl);
        df->host[hl] = '\0';
        if (dpi_is_tls_like(df->master) || dpi_is_tls_like(df->app)) {
            snprintf(df->ja3c, sizeof(df->ja3c), "%s", nf->protos.tls_quic.ja3_client);
            snprintf(df->ja3s, sizeof(df->ja3s), "%s", nf->protos.tls_quic.ja3_server);
        }
        dpi_pool_put(d, nf);
        df->ndpi = NULL;
    }
    if (guessed)
        d->st.guessed++;
    else
        d->st.classified++;
    if (df->master == NDPI_PROTOCOL_UNKNOWN && df->app == NDPI_PROTOCOL_UNKNOWN)
        d->st.unknown++;
}

static void dpi_giveup(struct dpi *d, struct flow *f)
{
    uint8_t was_guessed = 0;
    ndpi_protocol proto = ndpi_detection_giveup(d->ndpi, f->dpi.ndpi, 1, &was_guessed);

    dpi_finish(d, f, proto, true);
}

int dpi_process(struct dpi *d, struct flow *f, const struct packet *p)
{
    struct dpi_flow *df = &f->dpi;
    uint64_t n = f->pkts[0] + f->pkts[1];
    uint64_t ms = (uint64_t)p->ts.tv_sec * 1000u + (uint64_t)p->ts.tv_usec / 1000u;
    ndpi_protocol proto;
    bool enough;

    if (p->payload_len > 0)
        df->payload_seen = 1;
    if (df->done)
        return 0;
    if (df->ndpi == NULL) {
        df->ndpi = dpi_pool_get(d);
        if (df->ndpi == NULL) {
            d->st.pool_exhausted++;
            df->done = 1;
            return 1;
        }
    }
    if (df->pkts < UINT8_MAX)
        df->pkts++;
    enough = (p->proto == 6 && n > DPI_MAX_TCP_PKTS) || (p->proto == 17 && n > DPI_MAX_UDP_PKTS) ||
             (p->proto != 6 && p->proto != 17 && n > DPI_MAX_OTHER_PKTS);
    proto = ndpi_detection_process_packet(d->ndpi, df->ndpi, p->l3,
                                          (unsigned short)(p->l3_len > 65535 ? 65535 : p->l3_len), ms);
    if (!enough && proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return 0;
    if (!enough && ndpi_extra_dissection_possible(d->ndpi, df->ndpi))
        return 0; /* e.g. waiting for the server certificate */
    if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        dpi_giveup(d, f);
    else
        dpi_finish(d, f, proto, false);
    return 1;
}

void dpi_flow_end(struct dpi *d, struct flow *f)
{
    if (f->dpi.ndpi != NULL && !f->dpi.done)
        dpi_giveup(d, f);
    else if (f->dpi.ndpi != NULL) {
        dpi_pool_put(d, f->dpi.ndpi);
        f->dpi.ndpi = NULL;
    }
}

const char *dpi_proto_name(struct dpi *d, const struct dpi_flow *df, char *buf, size_t cap)
{
    ndpi_protocol proto = { df->master, df->app, (ndpi_protocol_category_t)df->category };

    return ndpi_protocol2name(d->ndpi, proto, buf, (u_int)cap);
}

const char *dpi_category_name(struct dpi *d, const struct dpi_flow *df)
{
    return ndpi_category_get_name(d->ndpi, (ndpi_protocol_category_t)df->category);
}

void dpi_risk_each(uint64_t risk, void (*fn)(const char *name, void *arg), void *arg)
{
    for (int i = 1; i < NDPI_MAX_RISK && i < 64; i++)
        if (risk & (1ull << i))
            fn(ndpi_risk2str((ndpi_risk_enum)i), arg);
}

static const char *dpi_app_proto_id(uint16_t id)
{
    switch (id) {
    case NDPI_PROTOCOL_HTTP:
    case NDPI_PROTOCOL_HTTP_CONNECT:
    case NDPI_PROTOCOL_HTTP_PROXY:   return "http";
    case NDPI_PROTOCOL_TLS:          return "tls";
    case NDPI_PROTOCOL_DNS:          return "dns";
    case NDPI_PROTOCOL_SMBV1:
    case NDPI_PROTOCOL_SMBV23:       return "smb";
    case NDPI_PROTOCOL_SSH:          return "ssh";
    case NDPI_PROTOCOL_FTP_CONTROL:  return "ftp";
    case NDPI_PROTOCOL_FTP_DATA:     return "ftp-data";
    case NDPI_PROTOCOL_MAIL_SMTP:
    case NDPI_PROTOCOL_MAIL_SMTPS:   return "smtp";
    case NDPI_PROTOCOL_MAIL_IMAP:    return "imap";
    case NDPI_PROTOCOL_MAIL_POP:     return "pop3";
    case NDPI_PROTOCOL_DHCP:         return "dhcp";
    case NDPI_PROTOCOL_NTP:          return "ntp";
    case NDPI_PROTOCOL_KERBEROS:     return "krb5";
    case NDPI_PROTOCOL_SNMP:         return "snmp";
    case NDPI_PROTOCOL_SIP:          return "sip";
    case NDPI_PROTOCOL_RDP:          return "rdp";
    case NDPI_PROTOCOL_QUIC:         return "quic";
    case NDPI_PROTOCOL_MQTT:         return "mqtt";
    case NDPI_PROTOCOL_MODBUS:       return "modbus";
    case NDPI_PROTOCOL_DNP3:         return "dnp3";
    case NDPI_PROTOCOL_NFS:          return "nfs";
    case NDPI_PROTOCOL_TFTP:         return "tftp";
    case NDPI_PROTOCOL_TELNET:       return "telnet";
    case NDPI_PROTOCOL_IRC:          return "irc";
    case NDPI_PROTOCOL_DCERPC:       return "dcerpc";
    case NDPI_PROTOCOL_IP_IPSEC:     return "ike";
    default:                         return NULL;
    }
}

const char *dpi_app_proto(const struct dpi_flow *df)
{
    /* The master carries the wire protocol ("TLS" in TLS.Google). */
    const char *s = df->master ? dpi_app_proto_id(df->master) : NULL;

    return s ? s : dpi_app_proto_id(df->app);
}

const struct dpi_stats *dpi_get_stats(const struct dpi *d)
{
    return &d->st;
}
