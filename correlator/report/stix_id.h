/* stix_id: deterministic STIX identifiers. SDOs and relationships get
 * UUIDv5 (RFC 4122, SHA-1) of a fixed Canh namespace over a name such as
 * "incident:42", so a re-send of the same incident carries the same ids and
 * the receiver updates instead of duplicating. SCOs use the STIX 2.1 SCO
 * namespace over the canonical JSON of their id-contributing properties
 * (spec section 2.9), so our ipv4-addr ids match anyone else's. Pure code.
 */
#ifndef CANH_STIX_ID_H
#define CANH_STIX_ID_H

#include <stddef.h>
#include <stdint.h>

/* "type--" + 36 UUID characters + NUL fits in this for every STIX type. */
#define STIX_ID_MAX 96

/* The Canh namespace (a fixed random UUID, never to change: ids derive from it). */
extern const uint8_t stix_id_canh_ns[16];
/* The STIX 2.1 namespace for SCO ids: 00abedb4-aa42-466c-9c01-fed23315a9b7. */
extern const uint8_t stix_id_sco_ns[16];

/* UUIDv5 of ns and name, written as 36 lower-case characters + NUL into out.
 * 0, or -1 when the hash fails. */
int stix_id_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/* "type--uuid5(canh_ns, name)" into out (STIX_ID_MAX). 0 or -1. */
int stix_id_make(const char *type, const char *name, char *out, size_t cap);

/* "type--uuid5(sco_ns, canon)" where canon is the canonical JSON (RFC 8785)
 * of the id-contributing properties, e.g. {"value":"10.0.0.1"}. 0 or -1. */
int stix_id_sco(const char *type, const char *canon, char *out, size_t cap);

#endif
