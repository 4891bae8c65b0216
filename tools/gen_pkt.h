/* gen_pkt: packet writer for the traffic generators in tools/.
 *
 * Builds Ethernet/IPv4/TCP/UDP/ICMP frames with correct lengths and
 * checksums and appends them to a pcap file with a simulated clock that only
 * moves forward (so captures are deterministic and time-ordered). A small
 * TCP model keeps sequence/ack numbers right through handshake, data and FIN.
 * Single-threaded, offline tool code: not used by the daemons.
 */
#ifndef CANH_GEN_PKT_H
#define CANH_GEN_PKT_H

#include <stddef.h>
#include <stdint.h>

struct gen_out;

/* Open PATH for writing (DLT_EN10MB). The clock starts at START_US
 * (microseconds since the epoch); SEED fixes the random stream. NULL on error
 * (reported on stderr). */
struct gen_out *gen_out_new(const char *path, uint64_t start_us, uint64_t seed);
/* Flush and close; accepts NULL. 0, or -1 when the file could not be written. */
int gen_out_free(struct gen_out *o);

uint64_t gen_now(const struct gen_out *o);
void gen_advance(struct gen_out *o, uint64_t us);
uint64_t gen_packets(const struct gen_out *o);
uint64_t gen_bytes(const struct gen_out *o);

/* Deterministic pseudo-random numbers (splitmix64). */
uint32_t gen_rand(struct gen_out *o);
/* Uniform in [lo, hi]. */
uint32_t gen_rand_range(struct gen_out *o, uint32_t lo, uint32_t hi);
void gen_rand_bytes(struct gen_out *o, uint8_t *buf, size_t n);

/* IPv4 addresses are in host byte order; GEN_IP(10,20,0,1). */
#define GEN_IP(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* One UDP datagram. 0 or -1 (payload too large). */
int gen_udp(struct gen_out *o, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
            const void *payload, size_t len);
/* ICMP echo request (type 8) or reply (type 0). */
int gen_icmp_echo(struct gen_out *o, uint32_t src, uint32_t dst, uint8_t type, uint16_t id,
                  uint16_t seq, const void *payload, size_t len);

#define GEN_TCP_FIN 0x01
#define GEN_TCP_SYN 0x02
#define GEN_TCP_RST 0x04
#define GEN_TCP_PSH 0x08
#define GEN_TCP_ACK 0x10

/* A TCP connection as seen on the wire. cnxt/snxt are the next sequence
 * numbers each side will send; the "ack" each side sends is the other's. */
struct gen_tcp {
    uint32_t cip, sip;
    uint16_t cport, sport;
    uint32_t cnxt, snxt;
    uint32_t rtt_us;
};

void gen_tcp_init(struct gen_out *o, struct gen_tcp *c, uint32_t cip, uint16_t cport,
                  uint32_t sip, uint16_t sport, uint32_t rtt_us);
/* SYN, SYN-ACK, ACK. */
int gen_tcp_handshake(struct gen_out *o, struct gen_tcp *c);
/* LEN bytes from the client (FROM_SERVER 0) or the server, cut at the MSS,
 * PSH on the last segment; the peer ACKs every second segment and the last. */
int gen_tcp_send(struct gen_out *o, struct gen_tcp *c, int from_server, const void *data,
                 size_t len);
/* FIN from one side, FIN-ACK from the other, final ACK. */
int gen_tcp_close(struct gen_out *o, struct gen_tcp *c, int server_first);
/* One raw segment with explicit flags, seq and ack (scans, resets). SYNs
 * carry the usual MSS/SACK/window-scale options. */
int gen_tcp_raw(struct gen_out *o, const struct gen_tcp *c, int from_server, uint8_t flags,
                uint32_t seq, uint32_t ack, const void *data, size_t len);

#endif
