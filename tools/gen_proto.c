/* gen_proto: application payload builders (DNS, TLS, SSH, NTP) in their
 * real wire layouts, so that tshark dissects them without warnings and nDPI
 * classifies them by content, not by port. Bounds: every write goes through
 * struct gen_buf, which turns an overflow into a zero-length result.
 */
#include "gen_proto.h"

#include <string.h>

struct gen_buf {
    uint8_t *p;
    size_t cap, len;
    int bad;
};

static uint8_t *gen_buf_room(struct gen_buf *b, size_t n)
{
    if (b->bad || n > b->cap - b->len) {
        b->bad = 1;
        return NULL;
    }
    uint8_t *r = b->p + b->len;
    b->len += n;
    return r;
}

static void gen_u8(struct gen_buf *b, uint8_t v)
{
    uint8_t *r = gen_buf_room(b, 1);
    if (r)
        r[0] = v;
}

static void gen_u16(struct gen_buf *b, uint16_t v)
{
    gen_u8(b, (uint8_t)(v >> 8));
    gen_u8(b, (uint8_t)v);
}

static void gen_u24(struct gen_buf *b, uint32_t v)
{
    gen_u8(b, (uint8_t)(v >> 16));
    gen_u16(b, (uint16_t)v);
}

static void gen_u32(struct gen_buf *b, uint32_t v)
{
    gen_u16(b, (uint16_t)(v >> 16));
    gen_u16(b, (uint16_t)v);
}

static void gen_bytes_put(struct gen_buf *b, const void *d, size_t n)
{
    uint8_t *r = gen_buf_room(b, n);
    if (r && n)
        memcpy(r, d, n);
}

static void gen_rnd(struct gen_out *o, struct gen_buf *b, size_t n)
{
    uint8_t *r = gen_buf_room(b, n);
    if (r)
        gen_rand_bytes(o, r, n);
}

/* Back-patch a big-endian length of WIDTH bytes at OFF covering OFF+WIDTH..end. */
static void gen_patch_len(struct gen_buf *b, size_t off, int width)
{
    if (b->bad)
        return;
    size_t v = b->len - off - (size_t)width;
    for (int i = width - 1; i >= 0; i--, v >>= 8)
        b->p[off + (size_t)i] = (uint8_t)v;
}

static size_t gen_done(const struct gen_buf *b) { return b->bad ? 0 : b->len; }

/* ---- DNS ---- */

static void gen_dns_name(struct gen_buf *b, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (n == 0 || n > 63) {
            b->bad = 1;
            return;
        }
        gen_u8(b, (uint8_t)n);
        gen_bytes_put(b, name, n);
        name += n + (dot ? 1 : 0);
    }
    gen_u8(b, 0);
}

static void gen_dns_header(struct gen_buf *b, uint16_t id, uint16_t flags, uint16_t an)
{
    gen_u16(b, id);
    gen_u16(b, flags);
    gen_u16(b, 1);  /* questions */
    gen_u16(b, an); /* answers */
    gen_u16(b, 0);
    gen_u16(b, 0);
}

size_t gen_dns_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    gen_dns_header(&b, id, 0x0100, 0); /* standard query, RD */
    gen_dns_name(&b, name);
    gen_u16(&b, qtype);
    gen_u16(&b, 1); /* IN */
    return gen_done(&b);
}

size_t gen_dns_answer(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
                      uint8_t rcode, const uint32_t *addrs, int naddr, const char *txt,
                      uint32_t ttl)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    int an = rcode != GEN_DNS_NOERROR ? 0 : qtype == GEN_DNS_TXT ? (txt != NULL) : naddr;
    gen_dns_header(&b, id, (uint16_t)(0x8180 | rcode), (uint16_t)an); /* QR RD RA */
    gen_dns_name(&b, name);
    gen_u16(&b, qtype);
    gen_u16(&b, 1);
    for (int i = 0; i < an; i++) {
        gen_u16(&b, 0xc00c); /* pointer to the question name */
        gen_u16(&b, qtype);
        gen_u16(&b, 1);
        gen_u32(&b, ttl);
        if (qtype == GEN_DNS_TXT) {
            size_t n = strlen(txt);
            if (n > 255)
                n = 255;
            gen_u16(&b, (uint16_t)(n + 1));
            gen_u8(&b, (uint8_t)n);
            gen_bytes_put(&b, txt, n);
        } else {
            gen_u16(&b, 4);
            gen_u32(&b, addrs[i]);
        }
    }
    return gen_done(&b);
}

/* ---- TLS ---- */

static void gen_tls_ext_begin(struct gen_buf *b, uint16_t type, size_t *off)
{
    gen_u16(b, type);
    *off = b->len;
    gen_u16(b, 0);
}

size_t gen_tls_client_hello(struct gen_out *o, uint8_t *buf, size_t cap, const char *sni)
{
    static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                       0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
                                       0x0035 };
    static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
                                        0x0601 };
    struct gen_buf b = { buf, cap, 0, 0 };
    size_t rec, hs, exts, e, l2;
    size_t sn = strlen(sni);

    gen_u8(&b, 0x16);      /* handshake record */
    gen_u16(&b, 0x0301);
    rec = b.len;
    gen_u16(&b, 0);
    gen_u8(&b, 1);         /* ClientHello */
    hs = b.len;
    gen_u24(&b, 0);
    gen_u16(&b, 0x0303);
    gen_rnd(o, &b, 32);    /* random */
    gen_u8(&b, 32);
    gen_rnd(o, &b, 32);    /* legacy session id */
    gen_u16(&b, (uint16_t)(2 * (sizeof(suites) / sizeof(suites[0]))));
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        gen_u16(&b, suites[i]);
    gen_u8(&b, 1);
    gen_u8(&b, 0);         /* null compression */
    exts = b.len;
    gen_u16(&b, 0);

    gen_tls_ext_begin(&b, 0x0000, &e);          /* server_name */
    gen_u16(&b, (uint16_t)(sn + 3));
    gen_u8(&b, 0);                               /* host_name */
    gen_u16(&b, (uint16_t)sn);
    gen_bytes_put(&b, sni, sn);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0017, &e);          /* extended_master_secret */
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0xff01, &e);          /* renegotiation_info */
    gen_u8(&b, 0);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x000a, &e);          /* supported_groups */
    gen_u16(&b, 6);
    gen_u16(&b, 0x001d);
    gen_u16(&b, 0x0017);
    gen_u16(&b, 0x0018);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x000b, &e);          /* ec_point_formats */
    gen_u8(&b, 1);
    gen_u8(&b, 0);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0023, &e);          /* session_ticket */
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0010, &e);          /* ALPN */
    l2 = b.len;
    gen_u16(&b, 0);
    gen_u8(&b, 2);
    gen_bytes_put(&b, "h2", 2);
    gen_u8(&b, 8);
    gen_bytes_put(&b, "http/1.1", 8);
    gen_patch_len(&b, l2, 2);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0005, &e);          /* status_request (OCSP) */
    gen_u8(&b, 1);
    gen_u16(&b, 0);
    gen_u16(&b, 0);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x000d, &e);          /* signature_algorithms */
    gen_u16(&b, (uint16_t)(2 * (sizeof(sigalgs) / sizeof(sigalgs[0]))));
    for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
        gen_u16(&b, sigalgs[i]);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0033, &e);          /* key_share: x25519 */
    gen_u16(&b, 36);
    gen_u16(&b, 0x001d);
    gen_u16(&b, 32);
    gen_rnd(o, &b, 32);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x002d, &e);          /* psk_key_exchange_modes */
    gen_u8(&b, 1);
    gen_u8(&b, 1);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x002b, &e);          /* supported_versions */
    gen_u8(&b, 4);
    gen_u16(&b, 0x0304);
    gen_u16(&b, 0x0303);
    gen_patch_len(&b, e, 2);

    gen_patch_len(&b, exts, 2);
    gen_patch_len(&b, hs, 3);
    gen_patch_len(&b, rec, 2);
    return gen_done(&b);
}

size_t gen_tls_appdata(struct gen_out *o, uint8_t *buf, size_t cap, size_t len)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    gen_u8(&b, 0x17);
    gen_u16(&b, 0x0303);
    gen_u16(&b, (uint16_t)len);
    gen_rnd(o, &b, len);
    return gen_done(&b);
}

size_t gen_tls_server_flight(struct gen_out *o, uint8_t *buf, size_t cap, size_t enc_len)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    size_t rec, hs, exts, e;
    gen_u8(&b, 0x16);
    gen_u16(&b, 0x0303);
    rec = b.len;
    gen_u16(&b, 0);
    gen_u8(&b, 2);         /* ServerHello */
    hs = b.len;
    gen_u24(&b, 0);
    gen_u16(&b, 0x0303);
    gen_rnd(o, &b, 32);
    gen_u8(&b, 32);
    gen_rnd(o, &b, 32);    /* echoed session id (random is fine for the wire) */
    gen_u16(&b, 0x1301);
    gen_u8(&b, 0);
    exts = b.len;
    gen_u16(&b, 0);
    gen_tls_ext_begin(&b, 0x002b, &e);
    gen_u16(&b, 0x0304);
    gen_patch_len(&b, e, 2);
    gen_tls_ext_begin(&b, 0x0033, &e);
    gen_u16(&b, 0x001d);
    gen_u16(&b, 32);
    gen_rnd(o, &b, 32);
    gen_patch_len(&b, e, 2);
    gen_patch_len(&b, exts, 2);
    gen_patch_len(&b, hs, 3);
    gen_patch_len(&b, rec, 2);
    /* middlebox-compatibility ChangeCipherSpec */
    gen_u8(&b, 0x14);
    gen_u16(&b, 0x0303);
    gen_u16(&b, 1);
    gen_u8(&b, 1);
    if (b.bad || enc_len > b.cap - b.len)
        return 0;
    b.len += gen_tls_appdata(o, b.p + b.len, b.cap - b.len, enc_len);
    return gen_done(&b);
}

/* ---- SSH ---- */

/* Wrap PAYLOAD as an unencrypted SSH binary packet (RFC 4253 section 6). */
static size_t gen_ssh_packet(struct gen_out *o, uint8_t *buf, size_t cap, const uint8_t *payload,
                             size_t plen)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    size_t pad = 8 - ((4 + 1 + plen) % 8);
    if (pad < 4)
        pad += 8;
    gen_u32(&b, (uint32_t)(1 + plen + pad));
    gen_u8(&b, (uint8_t)pad);
    gen_bytes_put(&b, payload, plen);
    gen_rnd(o, &b, pad);
    return gen_done(&b);
}

static void gen_ssh_string(struct gen_buf *b, const char *s)
{
    gen_u32(b, (uint32_t)strlen(s));
    gen_bytes_put(b, s, strlen(s));
}

size_t gen_ssh_kexinit(struct gen_out *o, uint8_t *buf, size_t cap, int server)
{
    uint8_t pl[1024];
    struct gen_buf b = { pl, sizeof(pl), 0, 0 };
    const char *ciphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,"
                          "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
    const char *macs = "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256";
    gen_u8(&b, 20); /* SSH_MSG_KEXINIT */
    gen_rnd(o, &b, 16);
    gen_ssh_string(&b, server ? "curve25519-sha256,curve25519-sha256@libssh.org,"
                                "diffie-hellman-group14-sha256"
                              : "curve25519-sha256,ecdh-sha2-nistp256,"
                                "diffie-hellman-group14-sha1,ext-info-c");
    gen_ssh_string(&b, "ssh-ed25519,rsa-sha2-512,rsa-sha2-256");
    gen_ssh_string(&b, ciphers);
    gen_ssh_string(&b, ciphers);
    gen_ssh_string(&b, macs);
    gen_ssh_string(&b, macs);
    gen_ssh_string(&b, "none,zlib@openssh.com");
    gen_ssh_string(&b, "none,zlib@openssh.com");
    gen_ssh_string(&b, "");
    gen_ssh_string(&b, "");
    gen_u8(&b, 0);  /* first_kex_packet_follows */
    gen_u32(&b, 0); /* reserved */
    if (b.bad)
        return 0;
    return gen_ssh_packet(o, buf, cap, pl, b.len);
}

static void gen_ssh_blob(struct gen_out *o, struct gen_buf *b, const char *type, size_t n)
{
    size_t off = b->len;
    gen_u32(b, 0);
    gen_ssh_string(b, type);
    gen_u32(b, (uint32_t)n);
    gen_rnd(o, b, n);
    gen_patch_len(b, off, 4);
}

size_t gen_ssh_kex_ecdh(struct gen_out *o, uint8_t *buf, size_t cap, int server)
{
    uint8_t pl[512];
    struct gen_buf b = { pl, sizeof(pl), 0, 0 };
    size_t n;
    if (!server) {
        gen_u8(&b, 30); /* SSH_MSG_KEX_ECDH_INIT */
        gen_u32(&b, 32);
        gen_rnd(o, &b, 32);
        return b.bad ? 0 : gen_ssh_packet(o, buf, cap, pl, b.len);
    }
    gen_u8(&b, 31); /* SSH_MSG_KEX_ECDH_REPLY */
    gen_ssh_blob(o, &b, "ssh-ed25519", 32);
    gen_u32(&b, 32);
    gen_rnd(o, &b, 32);
    gen_ssh_blob(o, &b, "ssh-ed25519", 64);
    if (b.bad)
        return 0;
    n = gen_ssh_packet(o, buf, cap, pl, b.len);
    if (n == 0)
        return 0;
    size_t m = gen_ssh_newkeys(o, buf + n, cap - n);
    return m ? n + m : 0;
}

size_t gen_ssh_newkeys(struct gen_out *o, uint8_t *buf, size_t cap)
{
    static const uint8_t pl[1] = { 21 }; /* SSH_MSG_NEWKEYS */
    return gen_ssh_packet(o, buf, cap, pl, 1);
}

size_t gen_ssh_opaque(struct gen_out *o, uint8_t *buf, size_t cap, size_t len)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    gen_u32(&b, (uint32_t)len);
    gen_rnd(o, &b, len + 16); /* ciphertext and a 16-byte tag */
    return gen_done(&b);
}

/* ---- NTP ---- */

#define GEN_NTP_EPOCH_OFFSET 2208988800ULL

static void gen_ntp_ts(struct gen_buf *b, uint64_t us)
{
    gen_u32(b, (uint32_t)(us / 1000000 + GEN_NTP_EPOCH_OFFSET));
    gen_u32(b, (uint32_t)(((us % 1000000) << 32) / 1000000));
}

size_t gen_ntp(struct gen_out *o, uint8_t *buf, size_t cap, int server, uint64_t now_us)
{
    struct gen_buf b = { buf, cap, 0, 0 };
    gen_u8(&b, server ? 0x24 : 0x23); /* LI 0, VN 4, mode 4 / 3 */
    gen_u8(&b, server ? 2 : 0);      /* stratum */
    gen_u8(&b, server ? 3 : 6);      /* poll */
    gen_u8(&b, 0xe9);                /* precision 2^-23 */
    gen_u32(&b, server ? 0x00000a1b : 0);
    gen_u32(&b, server ? 0x00000421 : 0);
    gen_u32(&b, server ? 0xa29fc801 : 0); /* reference id: upstream server */
    if (server) {
        gen_ntp_ts(&b, now_us - 31000000);   /* reference */
        gen_ntp_ts(&b, now_us - 9000);       /* origin = client's transmit */
        gen_ntp_ts(&b, now_us - 120);        /* receive */
        gen_ntp_ts(&b, now_us - 80);         /* transmit */
    } else {
        gen_u32(&b, 0); gen_u32(&b, 0);
        gen_u32(&b, 0); gen_u32(&b, 0);
        gen_u32(&b, 0); gen_u32(&b, 0);
        gen_u32(&b, gen_rand(o)); gen_u32(&b, gen_rand(o)); /* transmit: random, as chrony */
    }
    return gen_done(&b);
}
