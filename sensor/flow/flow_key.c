/* flow_key: normalized 5-tuple + VLAN keys, their symmetric hash and the
 * deterministic flow_id. The (ip, port) pair that compares lower goes first,
 * so A->B and B->A give byte-identical keys; the hash never looks at packet
 * direction, which is what makes worker fan-out and lookups symmetric.
 */
#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "flow/flow.h"

/* memcmp(a, b, 16) < 0, = 0, > 0 as -1, 0, 1: two big-endian 8-byte loads
 * compare like the bytes do (libc memcmp is a call per packet). */
static inline int fk_cmp16(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[2], y[2];

    memcpy(x, a, 16);
    memcpy(y, b, 16);
    for (int i = 0; i < 2; i++) {
        uint64_t u = be64toh(x[i]), v = be64toh(y[i]);

        if (u != v)
            return u < v ? -1 : 1;
    }
    return 0;
}

/* The key's last 8 bytes, built in a register and stored at once: the hash
 * and the table's compare read the key as 8-byte words right away, and a
 * word load spanning several narrower stores cannot be forwarded from them
 * (the load waits for the stores to reach the cache). */
struct fk_tail {
    uint16_t port_lo, port_hi, vlan;
    uint8_t proto, ipver;
};
_Static_assert(sizeof(struct fk_tail) == 8 && offsetof(struct flow_key, port_lo) == 32 &&
               offsetof(struct flow_key, ipver) == 39, "fk_tail is the key's last word");

int flow_key_from_packet(struct flow_key *k, const struct packet *p, bool use_vlan)
{
    int c = fk_cmp16(p->src, p->dst);
    int src_is_lo = c < 0 || (c == 0 && p->sport <= p->dport);
    struct fk_tail t = { .proto = p->proto, .ipver = p->ip_version };
    uint64_t w;

    if (src_is_lo) {
        memcpy(k->ip_lo, p->src, 16);
        memcpy(k->ip_hi, p->dst, 16);
        t.port_lo = p->sport;
        t.port_hi = p->dport;
    } else {
        memcpy(k->ip_lo, p->dst, 16);
        memcpy(k->ip_hi, p->src, 16);
        t.port_lo = p->dport;
        t.port_hi = p->sport;
    }
    t.vlan = use_vlan && p->vlan_count > 0 ? p->vlan[p->vlan_count - 1] & 0x0fffu : 0;
    memcpy(&w, &t, sizeof(w));
    memcpy(&k->port_lo, &w, sizeof(w));
    return src_is_lo;
}

/* FNV-1a over the key bytes, then a murmur3 finalizer for avalanche: cheap,
 * and good enough for a table we size ourselves (not an attacker-chosen
 * table size). The key has no padding holes (see flow.h) and is zeroed.
 * A zero byte only multiplies by the FNV prime, so a run of n zero 4-byte
 * words is one multiply by prime^(4n) (mod 2^64, the same value as the byte
 * loop): an IPv4 key (24 of its 40 bytes are zero) costs 18 dependent
 * multiplies instead of 40. */
#define FK_FNV_PRIME 1099511628211ull
#define FK_WORDS (sizeof(struct flow_key) / 4)

/* FNV prime ^ (4 n) mod 2^64 for n = 0..10 (a key is 10 words); unsigned
 * constant expressions wrap, so the compiler computes them. */
#define FK_P4 (FK_FNV_PRIME * FK_FNV_PRIME * FK_FNV_PRIME * FK_FNV_PRIME)
#define FK_P8 (FK_P4 * FK_P4)
#define FK_P16 (FK_P8 * FK_P8)
#define FK_P32 (FK_P16 * FK_P16)
static const uint64_t fk_fnv_pow[FK_WORDS + 1] = {
    1, FK_P4, FK_P8, FK_P8 * FK_P4, FK_P16, FK_P16 * FK_P4, FK_P16 * FK_P8,
    FK_P16 * FK_P8 * FK_P4, FK_P32, FK_P32 * FK_P4, FK_P32 * FK_P8,
};
_Static_assert(sizeof(struct flow_key) == 40, "fk_fnv_pow has one entry per key word, plus one");

static uint64_t flow_key_hash64(const struct flow_key *k, uint64_t seed)
{
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ull ^ seed;
    size_t zeros = 0;

    for (size_t i = 0; i < FK_WORDS; i++) {
        uint32_t w;

        memcpy(&w, b + 4 * i, 4);
        if (w == 0) {
            zeros++;
            continue;
        }
        h *= fk_fnv_pow[zeros];
        zeros = 0;
        for (size_t j = 4 * i; j < 4 * i + 4; j++) {
            h ^= b[j];
            h *= FK_FNV_PRIME;
        }
    }
    h *= fk_fnv_pow[zeros];
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* The table hash runs for every packet: five 8-byte words, one multiply
 * each, then the murmur3 finalizer (FNV-1a byte by byte is a chain of 40
 * dependent multiplies). The flow_id below keeps FNV-1a so ids stay as
 * they were. */
uint32_t flow_key_hash(const struct flow_key *k)
{
    uint64_t w[5], h = 0x9e3779b97f4a7c15ull;

    memcpy(w, k, sizeof(w));
    for (int i = 0; i < 5; i++) {
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

uint64_t flow_key_flow_id(const struct flow_key *k, struct timeval start)
{
    uint64_t seed = (uint64_t)start.tv_sec * 1000000u + (uint64_t)start.tv_usec;
    uint64_t id = flow_key_hash64(k, seed * 0x9e3779b97f4a7c15ull) & ((1ull << 51) - 1);

    return id ? id : 1;
}

bool flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

_Static_assert(sizeof(struct flow_key) == 5 * sizeof(uint64_t), "flow_key_hash reads five words");

const char *flow_state_name(enum flow_state s)
{
    switch (s) {
    case FLOW_STATE_NEW:         return "new";
    case FLOW_STATE_ESTABLISHED: return "established";
    case FLOW_STATE_CLOSED:      return "closed";
    case FLOW_STATE_BYPASSED:    return "bypassed";
    }
    return "unknown";
}

const char *flow_reason_name(enum flow_end_reason r)
{
    switch (r) {
    case FLOW_END_TIMEOUT:  return "timeout";
    case FLOW_END_FORCED:   return "forced";
    case FLOW_END_SHUTDOWN: return "shutdown";
    }
    return "unknown";
}
