/* app_dns: the header and first question of a DNS message, enough for the
 * dns.query buffer (Suricata's form: dotted name, no trailing dot, labels
 * as sent) and the alert's dns object. Compression pointers are followed
 * with a hop limit; every read is bounds-checked (fuzzed by fuzz_app).
 */
#include <string.h>

#include "app/app_private.h"

#define APP_DNS_HOPS 16

/* Decode the name at *pos; on success *pos is just past it in the message. */
static int app_dns_name(const uint8_t *d, size_t n, size_t *pos, struct app_dns_msg *m)
{
    size_t p = *pos, end = 0;
    int hops = 0;

    m->qname_len = 0;
    for (;;) {
        if (p >= n)
            return -1;
        uint8_t l = d[p];
        if (l == 0) {
            if (end == 0)
                end = p + 1;
            break;
        }
        if ((l & 0xc0) == 0xc0) {
            if (p + 1 >= n || ++hops > APP_DNS_HOPS)
                return -1;
            if (end == 0)
                end = p + 2;
            p = ((size_t)(l & 0x3f) << 8) | d[p + 1];
            continue;
        }
        if ((l & 0xc0) != 0 || p + 1 + l > n)
            return -1;
        if (m->qname_len + (m->qname_len ? 1u : 0u) + l >= sizeof(m->qname))
            return -1;
        if (m->qname_len > 0)
            m->qname[m->qname_len++] = '.';
        memcpy(m->qname + m->qname_len, d + p + 1, l);
        m->qname_len += l;
        p += 1 + (size_t)l;
    }
    m->qname[m->qname_len] = '\0';
    *pos = end;
    return 0;
}

int app_dns_parse(const uint8_t *d, size_t n, struct app_dns_msg *out)
{
    size_t pos = 12;

    memset(out, 0, sizeof(*out));
    if (d == NULL || n < 12)
        return -1;
    uint16_t flags = (uint16_t)(d[2] << 8 | d[3]);
    uint16_t qd = (uint16_t)(d[4] << 8 | d[5]);
    if (qd == 0 || ((flags >> 11) & 0xf) > 5)  /* opcode: query..update */
        return -1;
    out->id = (uint16_t)(d[0] << 8 | d[1]);
    out->response = (flags & 0x8000u) != 0;
    if (app_dns_name(d, n, &pos, out) != 0 || pos + 4 > n)
        return -1;
    out->qtype = (uint16_t)(d[pos] << 8 | d[pos + 1]);
    return 0;
}
