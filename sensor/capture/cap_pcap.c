/* cap_pcap: the libpcap glue (the only file that calls pcap_*). Offline
 * reads count packets themselves; live reads take kernel counters from
 * pcap_stats, which on Linux are cumulative since activation.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_pcap.h"
#include "log.h"

struct cap {
    pcap_t *p;
    bool live;
    uint64_t read;
};

static int cap_set_filter(struct cap *c, const char *what, const char *bpf)
{
    struct bpf_program prog;
    int rc = 0;

    if (bpf == NULL || bpf[0] == '\0')
        return 0;
    if (pcap_compile(c->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        log_error("capture", "%s: BPF filter \"%s\": %s", what, bpf, pcap_geterr(c->p));
        return -1;
    }
    if (pcap_setfilter(c->p, &prog) != 0) {
        log_error("capture", "%s: cannot set BPF filter: %s", what, pcap_geterr(c->p));
        rc = -1;
    }
    pcap_freecode(&prog);
    return rc;
}

struct cap *cap_open_offline(const char *path, const char *bpf)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct cap *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->p = pcap_open_offline(path, err);
    if (c->p == NULL) {
        log_error("capture", "%s: cannot read capture file: %s", path, err);
        goto fail;
    }
    if (cap_set_filter(c, path, bpf) != 0)
        goto fail;
    return c;
fail:
    cap_close(c);
    return NULL;
}

struct cap *cap_open_live(const char *iface, const struct cap_live_cfg *cfg, const char *bpf)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    struct cap *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL)
        return NULL;
    c->live = true;
    c->p = pcap_create(iface, err);
    if (c->p == NULL) {
        log_error("capture", "%s: %s", iface, err);
        goto fail;
    }
    pcap_set_snaplen(c->p, cfg->snaplen);
    pcap_set_promisc(c->p, cfg->promisc ? 1 : 0);
    pcap_set_timeout(c->p, 100);
    if (cfg->buffer_size > 0)
        pcap_set_buffer_size(c->p, (int)(cfg->buffer_size > INT32_MAX ? INT32_MAX : cfg->buffer_size));
    rc = pcap_activate(c->p);
    if (rc < 0) {
        log_error("capture", "%s: cannot start capture: %s%s", iface, pcap_geterr(c->p),
                  rc == PCAP_ERROR_PERM_DENIED ? " (run as root or grant CAP_NET_RAW)" : "");
        goto fail;
    }
    if (rc > 0)
        log_warning("capture", "%s: %s", iface, pcap_statustostr(rc));
    if (cap_set_filter(c, iface, bpf) != 0)
        goto fail;
    return c;
fail:
    cap_close(c);
    return NULL;
}

void cap_close(struct cap *c)
{
    if (c == NULL)
        return;
    if (c->p != NULL)
        pcap_close(c->p);
    free(c);
}

int cap_next(struct cap *c, struct timeval *ts, uint32_t *caplen, uint32_t *len,
             const uint8_t **data)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(c->p, &h, &d);

    if (rc == 1) {
        *ts = h->ts;
        *caplen = h->caplen;
        *len = h->len;
        *data = d;
        c->read++;
        return 1;
    }
    if (rc == 0)
        return 0;
    if (rc == PCAP_ERROR_BREAK)
        return -1;
    log_error("capture", "read error: %s", pcap_geterr(c->p));
    return -2;
}

void cap_break(struct cap *c)
{
    pcap_breakloop(c->p);
}

int cap_datalink(const struct cap *c)
{
    return pcap_datalink(c->p);
}

bool cap_is_live(const struct cap *c)
{
    return c->live;
}

void cap_get_stats(struct cap *c, struct cap_stats *out)
{
    struct pcap_stat ps;

    memset(out, 0, sizeof(*out));
    if (!c->live) {
        out->received = c->read;
        return;
    }
    if (pcap_stats(c->p, &ps) == 0) {
        out->received = ps.ps_recv;
        out->dropped = ps.ps_drop;
        out->ifdropped = ps.ps_ifdrop;
    }
}

const char *cap_lib_version(void)
{
    return pcap_lib_version();
}
