/* cap_hash: a symmetric hash of a frame's IP address pair (plus the VLAN
 * id when vlan_tracking), modulo the worker count gives its worker.
 *
 * The hash leaves ports out on purpose: every fragment of a datagram, and
 * its reassembled packet, must reach the worker that owns the flow, and
 * non-first fragments carry no ports. Frames without IP hash to 0.
 */
#ifndef CANH_CAP_HASH_H
#define CANH_CAP_HASH_H

#include <stdbool.h>
#include <stdint.h>

uint32_t cap_hash(int datalink, const uint8_t *d, uint32_t caplen, bool vlan_tracking);

#endif
