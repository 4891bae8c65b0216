/* dec_tunnel: IP-in-IP (6in4 = proto 41, 4in4 = proto 4, and their IPv6
 * counterparts) and Teredo (IPv6 in UDP/3544, RFC 4380). The inner packet
 * replaces the outer one's network and transport fields, so that flows,
 * nDPI and rules see the tunnelled conversation, as nDPI's reader does; the
 * outer IP header stays reachable through p->outer_l3. One level only: a
 * deeper tunnel raises DEC_EV_TUNNEL_UNSUPPORTED and keeps the outer packet.
 */
#include "decode/decode_private.h"

#define DEC_IPV6_HLEN 40
#define DEC_NH_NONE 59

static int tunnel_enter(struct packet *p, struct dec_ctx *c, uint8_t type, const uint8_t *d,
                        uint32_t len)
{
    p->flags |= PKT_TUNNEL;
    p->tunnel = type;
    p->outer_l3 = p->l3;
    p->outer_l3_len = p->l3_len;
    memset(p->src, 0, sizeof(p->src));
    memset(p->dst, 0, sizeof(p->dst));
    p->sport = p->dport = 0;
    p->l4 = p->payload = NULL;
    p->l4_len = p->payload_len = 0;
    c->depth++;
    c->st->tunnels++;
    return type == DEC_TUN_6IN4 || type == DEC_TUN_6IN6 || type == DEC_TUN_TEREDO
               ? dec_ipv6(p, c, d, len)
               : dec_ipv4(p, c, d, len);
}

int dec_tunnel_ip(struct packet *p, struct dec_ctx *c, uint8_t type, const uint8_t *d,
                  uint32_t len)
{
    if (c->depth >= DEC_MAX_TUNNEL_DEPTH) {
        dec_event(p, c, DEC_EV_TUNNEL_UNSUPPORTED);
        return DEC_OK;
    }
    return tunnel_enter(p, c, type, d, len);
}

/* Teredo is recognised, as Suricata does, by an IPv6 header (after the
 * optional authentication and origin indication headers) whose payload
 * length matches the UDP payload exactly. Bubbles (no next header, empty)
 * stay plain UDP. */
int dec_tunnel_teredo(struct packet *p, struct dec_ctx *c, const uint8_t *d, uint32_t len,
                      int *res)
{
    uint32_t off = 0;

    if (c->depth >= DEC_MAX_TUNNEL_DEPTH)
        return 0;
    if (len >= 4 && d[0] == 0 && d[1] == 1) /* authentication: id, auth, nonce, conf */
        off += 13u + d[2] + d[3];
    if (off + 2 <= len && d[off] == 0 && d[off + 1] == 0) /* origin indication */
        off += 8;
    if (off + DEC_IPV6_HLEN > len || (d[off] >> 4) != 6)
        return 0;
    if (off + DEC_IPV6_HLEN + dec_rd16(d + off + 4) != len)
        return 0;
    if (d[off + 6] == DEC_NH_NONE && dec_rd16(d + off + 4) == 0)
        return 0;
    *res = tunnel_enter(p, c, DEC_TUN_TEREDO, d + off, len - off);
    return 1;
}
