/* dpi_flow: the per-flow nDPI record, embedded in struct flow.
 *
 * Plain data so that the flow table (and its unit test) need not link nDPI.
 * While a flow is being classified `ndpi` points to a pooled nDPI flow
 * struct owned by the worker's dpi module; once the verdict is final the
 * results below are copied out and `ndpi` goes back to the pool (NULL).
 * The strings (host name, JA3/JA3S) live out of line in `names`, a pooled
 * record taken only for the few flows that have one, so the record every
 * flow carries is 40 bytes; read them with the accessors below.
 */
#ifndef CANH_DPI_FLOW_H
#define CANH_DPI_FLOW_H

#include <stddef.h>
#include <stdint.h>

#define DPI_HOST_MAX 64
#define DPI_JA3_LEN  33

/* Owned by the worker's dpi module; released by dpi_flow_release(). */
struct dpi_names {
    char host[DPI_HOST_MAX];    /* Host / SNI / DNS query name, may be empty */
    char ja3c[DPI_JA3_LEN];     /* TLS client JA3, may be empty */
    char ja3s[DPI_JA3_LEN];     /* TLS server JA3S, may be empty */
};

struct dpi_flow {
    void *ndpi;                 /* struct ndpi_flow_struct *, NULL when done or never started */
    struct dpi_names *names;    /* NULL when the verdict named nothing */
    uint64_t risk;              /* ndpi_risk bitmask */
    uint16_t master, app;       /* nDPI protocol ids */
    uint16_t category;          /* ndpi_protocol_category_t */
    uint8_t pkts;               /* packets of the flow seen by the dpi stage (saturates) */
    uint8_t done;               /* verdict final: nothing more is fed */
    uint8_t guessed;            /* verdict came from ndpi_detection_giveup */
    uint8_t confidence;         /* ndpi_confidence_t */
    uint8_t payload_seen;       /* some packet carried L4 payload */
};

static inline const char *dpi_flow_host(const struct dpi_flow *df)
{
    return df->names != NULL ? df->names->host : "";
}

static inline const char *dpi_flow_ja3c(const struct dpi_flow *df)
{
    return df->names != NULL ? df->names->ja3c : "";
}

static inline const char *dpi_flow_ja3s(const struct dpi_flow *df)
{
    return df->names != NULL ? df->names->ja3s : "";
}

#endif
