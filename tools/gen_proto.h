/* gen_proto: application payloads in their real wire formats for the
 * capture generators: DNS messages, a TLS 1.3 ClientHello with SNI and the
 * server's first flight, SSH banners and KEXINIT, NTPv4. Each builder writes
 * into a caller buffer of CAP bytes and returns the length, or 0 if it does
 * not fit. Random fields come from the gen_out stream (deterministic).
 */
#ifndef CANH_GEN_PROTO_H
#define CANH_GEN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "gen_pkt.h"

#define GEN_DNS_A 1
#define GEN_DNS_CNAME 5
#define GEN_DNS_TXT 16
#define GEN_DNS_AAAA 28

#define GEN_DNS_NOERROR 0
#define GEN_DNS_NXDOMAIN 3

/* A query for NAME (RD set). */
size_t gen_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);
/* The answer to that query: RCODE, then NADDR A records (qtype A), or one
 * TXT record holding TXT (qtype TXT), all owned by the question name. */
size_t gen_dns_answer(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
                      uint8_t rcode, const uint32_t *addrs, int naddr, const char *txt,
                      uint32_t ttl);

/* TLS record with a ClientHello: SNI, ALPN h2/http1.1, x25519 key share,
 * supported_versions TLS 1.3/1.2, a browser-like cipher list. */
size_t gen_tls_client_hello(struct gen_out *o, uint8_t *buf, size_t cap, const char *sni);
/* ServerHello (TLS 1.3, TLS_AES_128_GCM_SHA256), ChangeCipherSpec and one
 * application-data record of ENC_LEN random bytes (the encrypted flight). */
size_t gen_tls_server_flight(struct gen_out *o, uint8_t *buf, size_t cap, size_t enc_len);
/* One TLS application-data record of LEN random bytes. */
size_t gen_tls_appdata(struct gen_out *o, uint8_t *buf, size_t cap, size_t len);

/* SSH binary packet with an SSH_MSG_KEXINIT (OpenSSH-like algorithm lists). */
size_t gen_ssh_kexinit(struct gen_out *o, uint8_t *buf, size_t cap, int server);
/* Client: SSH_MSG_KEX_ECDH_INIT. Server: SSH_MSG_KEX_ECDH_REPLY (ed25519
 * host key, curve25519 share, signature) followed by SSH_MSG_NEWKEYS. */
size_t gen_ssh_kex_ecdh(struct gen_out *o, uint8_t *buf, size_t cap, int server);
/* SSH_MSG_NEWKEYS. */
size_t gen_ssh_newkeys(struct gen_out *o, uint8_t *buf, size_t cap);
/* SSH binary packet whose body is LEN random bytes (after NEWKEYS: looks encrypted). */
size_t gen_ssh_opaque(struct gen_out *o, uint8_t *buf, size_t cap, size_t len);

/* NTPv4 client (mode 3) or server (mode 4) packet, timestamps from NOW_US. */
size_t gen_ntp(struct gen_out *o, uint8_t *buf, size_t cap, int server, uint64_t now_us);

#endif
