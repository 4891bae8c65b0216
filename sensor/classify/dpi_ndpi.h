/* dpi_ndpi: nDPI classification of flows, one module per worker.
 *
 * Follows ndpiReader (nDPI 4.2 example/reader_util.c) so verdicts agree
 * with it: every packet of a flow is fed (IP header on) until nDPI has an
 * app protocol and no extra dissection is pending, or the flow passes 80
 * (TCP) / 24 (UDP) packets; then ndpi_detection_giveup() with guessing.
 * Flows still open at their end get the same giveup. The nDPI flow struct
 * (688 bytes) comes from a per-worker pool and goes back to it (and its
 * results are copied into struct dpi_flow) as soon as the verdict is final,
 * so a classified flow costs no nDPI memory. A TCP flow takes one only at
 * its first payload packet: its header-only packets are replayed to nDPI
 * then, so a port scan's flows cost none while they are open. One that ends
 * without payload is given up on at its end from the state those packets
 * would have left (same verdict, no replay). Not thread-safe: one per worker.
 */
#ifndef CANH_DPI_NDPI_H
#define CANH_DPI_NDPI_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

struct dpi;

struct dpi_stats {
    uint64_t classified;     /* verdicts reached by detection */
    uint64_t guessed;        /* verdicts from giveup (guess or unknown) */
    uint64_t unknown;        /* final verdict Unknown */
    uint64_t pool_exhausted; /* flows left unclassified (no nDPI flow struct free) or
                              * without their names (no names record free) */
    uint64_t headers_direct; /* payload-less TCP flows given up on without a replay */
    uint64_t headers_replayed; /* payload-less TCP flows whose header-only packets were
                                * replayed instead (see dpi_flow_end) */
    uint64_t active;         /* nDPI flow structs in use */
    uint64_t pool_bytes;     /* bytes of pooled nDPI flow structs and names records */
};

/* Install nDPI's allocation hooks (counting bytes). Call once, before any
 * dpi_new, from the main thread. */
void dpi_global_init(void);
/* Bytes nDPI has allocated through the hooks and not freed (all workers). */
uint64_t dpi_mem_in_use(void);

/* max_active: nDPI flow structs this worker may hold at once (pool cap). */
struct dpi *dpi_new(uint32_t max_active);
void dpi_free(struct dpi *d);

/* Feed packet p of flow f (already counted in f->pkts) unless f's verdict is
 * final. Returns 1 when the verdict became final with this packet. */
int dpi_process(struct dpi *d, struct flow *f, const struct packet *p);
/* At flow end: give up on an unfinished flow and release its nDPI state.
 * The verdict (and f->dpi.names) stays readable until dpi_flow_release. */
void dpi_flow_end(struct dpi *d, struct flow *f);
/* After the flow's last event: return its names record to the pool. */
void dpi_flow_release(struct dpi *d, struct flow *f);

/* "TLS.Google", "DNS", "Unknown": as ndpi_protocol2name and ndpiReader. */
const char *dpi_proto_name(struct dpi *d, const struct dpi_flow *df, char *buf, size_t cap);
const char *dpi_category_name(struct dpi *d, const struct dpi_flow *df);
/* Calls fn for the nDPI name of every risk bit set. */
void dpi_risk_each(uint64_t risk, void (*fn)(const char *name, void *arg), void *arg);
/* Suricata's app_proto name for the verdict ("http", "tls", ...), or NULL
 * when Suricata has no parser for it. Pure function, any thread. */
const char *dpi_app_proto(const struct dpi_flow *df);

const struct dpi_stats *dpi_get_stats(const struct dpi *d);

/* "4.2.0": the nDPI library revision. */
const char *dpi_version(void);

#endif
