/* cap_hash: a symmetric hash of a frame's IP address pair (plus the VLAN
 * id when vlan_tracking), modulo the worker count gives its worker.
 *
 * The hash leaves ports out on purpose: every fragment of a datagram, and
 * its reassembled packet, must reach the worker that owns the flow, and
 * non-first fragments carry no ports. Frames without IP hash to 0. A frame
 * the decoder reads as a tunnel (IP-in-IP, Teredo; not fragmented) hashes by
 * the inner pair, so a tunnelled flow whose outer addresses vary (Teredo
 * relays) stays on one worker, as its flow key does.
 */
#ifndef CANH_CAP_HASH_H
#define CANH_CAP_HASH_H

#include <stdbool.h>
#include <stdint.h>

uint32_t cap_hash(int datalink, const uint8_t *d, uint32_t caplen, bool vlan_tracking);

#endif
