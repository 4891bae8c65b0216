/* dpi_flow: the per-flow nDPI record, embedded in struct flow.
 *
 * Plain data so that the flow table (and its unit test) need not link nDPI.
 * While a flow is being classified `ndpi` points to a pooled nDPI flow
 * struct owned by the worker's dpi module; once the verdict is final the
 * results below are copied out and `ndpi` goes back to the pool (NULL).
 */
#ifndef CANH_DPI_FLOW_H
#define CANH_DPI_FLOW_H

#include <stdint.h>

#define DPI_HOST_MAX 64
#define DPI_JA3_LEN  33

struct dpi_flow {
    void *ndpi;                 /* struct ndpi_flow_struct *, NULL when done or never started */
    uint64_t risk;              /* ndpi_risk bitmask */
    uint16_t master, app;       /* nDPI protocol ids */
    uint16_t category;          /* ndpi_protocol_category_t */
    uint8_t pkts;               /* packets fed to nDPI so far (saturates) */
    uint8_t done;               /* verdict final: nothing more is fed */
    uint8_t guessed;            /* verdict came from ndpi_detection_giveup */
    uint8_t confidence;         /* ndpi_confidence_t */
    uint8_t payload_seen;       /* some packet carried L4 payload */
    char host[DPI_HOST_MAX];    /* Host / SNI / DNS query name, may be empty */
    char ja3c[DPI_JA3_LEN];     /* TLS client JA3, may be empty */
    char ja3s[DPI_JA3_LEN];     /* TLS server JA3S, may be empty */
};

#endif
