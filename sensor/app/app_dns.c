/* app_dns: DNS messages for the dns.query buffer and the dns event: header,
 * first question (Suricata's form: dotted name, no trailing dot, labels as
 * sent) and, in responses, the answer and authority records with their
 * rdata as Suricata prints it. DNS over TCP is framed here from the
 * reassembled stream (RFC 1035 4.2.2: a 2-byte length before each message).
 * Names: compression pointers must point backwards (so a name cannot loop)
 * and at most APP_DNS_HOPS are followed; every read is bounds-checked
 * (fuzzed by fuzz_app). No allocation except the TCP carry-over buffer of a
 * message split across deliveries.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_private.h"

#define APP_DNS_HOPS 16
#define APP_DNS_NAME_MAX 255     /* presentation form, without the trailing dot */
#define APP_DNS_RAW_MAX 256      /* bytes of rdata logged for types printed raw */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decode the name at *pos into out (NUL-terminated, *olen bytes); on success
 * *pos is just past the name where it starts. A pointer must go backwards
 * from the label that holds it: no loops, and APP_DNS_HOPS bounds the work. */
static int app_dns_name(const uint8_t *d, size_t n, size_t *pos, char *out, uint32_t *olen)
{
    size_t p = *pos, end = 0, lim = *pos;
    uint32_t len = 0;
    int hops = 0;

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
            size_t to = ((size_t)(l & 0x3f) << 8) | d[p + 1];
            if (to >= lim)
                return -1;
            p = lim = to;
            continue;
        }
        if ((l & 0xc0) != 0 || p + 1 + l > n)
            return -1;
        if (len + (len ? 1u : 0u) + l > APP_DNS_NAME_MAX)
            return -1;
        if (len > 0)
            out[len++] = '.';
        memcpy(out + len, d + p + 1, l);
        len += l;
        p += 1 + (size_t)l;
    }
    out[len] = '\0';
    *olen = len;
    *pos = end;
    return 0;
}

/* Append n bytes to the message's text; its offset, or -1 when full. */
static int64_t text_add(struct eve_dns *m, const void *s, size_t n)
{
    if (n > EVE_DNS_TEXT_MAX - m->text_len)
        return -1;
    uint32_t off = m->text_len;
    memcpy(m->text + off, s, n);
    m->text_len += (uint32_t)n;
    return off;
}

static int text_str(struct eve_dns *m, const void *s, size_t n, uint32_t *off, uint32_t *len)
{
    int64_t o = text_add(m, s, n);
    if (o < 0)
        return -1;
    *off = (uint32_t)o;
    *len = (uint32_t)n;
    return 0;
}

/* A name inside rdata into the text. */
static int text_name(struct eve_dns *m, const uint8_t *d, size_t n, size_t *pos, uint32_t *off,
                     uint32_t *len)
{
    char nm[APP_DNS_NAME_MAX + 1];
    uint32_t nl = 0;

    if (app_dns_name(d, n, pos, nm, &nl) != 0)
        return -1;
    return text_str(m, nm, nl, off, len);
}

/* rdata of one record at d[p, p + rl) into rr (Suricata's forms: addresses
 * as text, AAAA uncompressed; names for CNAME/PTR/NS/MX/DNAME; TXT strings
 * concatenated; SOA and SRV as numbers + names; other types as raw bytes,
 * at most APP_DNS_RAW_MAX of them).
 * -1: malformed (the record is dropped) or no room. */
static int app_dns_rdata(struct eve_dns *m, const uint8_t *d, size_t p, size_t rl,
                         struct eve_dns_rr *rr)
{
    char buf[EVE_DNS_RDATA_MAX];
    size_t q = p, k = 0;

    switch (rr->rrtype) {
    case 1:     /* A */
        if (rl != 4)
            return -1;
        inet_ntop(AF_INET, d + p, buf, sizeof(buf));
        return text_str(m, buf, strlen(buf), &rr->data_off, &rr->data_len);
    case 28:    /* AAAA: Suricata prints all eight groups, zero-padded */
        if (rl != 16)
            return -1;
        for (int i = 0; i < 16; i += 2)
            k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%02x%02x", i ? ":" : "", d[p + i], d[p + i + 1]);
        return text_str(m, buf, k, &rr->data_off, &rr->data_len);
    case 2: case 5: case 12: case 39:   /* NS CNAME PTR DNAME */
        return text_name(m, d, p + rl, &q, &rr->data_off, &rr->data_len);
    case 15:    /* MX: the exchange (Suricata logs no preference) */
        if (rl < 3)
            return -1;
        q += 2;
        return text_name(m, d, p + rl, &q, &rr->data_off, &rr->data_len);
    case 16:    /* TXT: the character-strings, concatenated */
        while (q < p + rl) {
            size_t sl = d[q++];
            if (q + sl > p + rl)
                return -1;
            if (sl > sizeof(buf) - k)
                sl = sizeof(buf) - k;
            memcpy(buf + k, d + q, sl);
            k += sl;
            q += sl;
        }
        return text_str(m, buf, k, &rr->data_off, &rr->data_len);
    case 6:     /* SOA */
        if (text_name(m, d, p + rl, &q, &rr->data_off, &rr->data_len) != 0 ||
            text_name(m, d, p + rl, &q, &rr->data2_off, &rr->data2_len) != 0 || q + 20 > p + rl)
            return -1;
        for (int i = 0; i < 5; i++)
            rr->num[i] = rd32(d + q + 4 * (size_t)i);
        return 0;
    case 33:    /* SRV */
        if (rl < 7)
            return -1;
        for (int i = 0; i < 3; i++)
            rr->num[i] = rd16(d + p + 2 * (size_t)i);
        q += 6;
        return text_name(m, d, p + rl, &q, &rr->data_off, &rr->data_len);
    default:    /* raw, as Suricata logs NULL and unparsed types; binary keys/signatures cut short */
        return text_str(m, d + p, rl < APP_DNS_RAW_MAX ? rl : APP_DNS_RAW_MAX, &rr->data_off,
                        &rr->data_len);
    }
}

/* Answer and authority records from *pos. Stops quietly at the first that
 * does not parse or fit (rr_cut); the header and question stay valid. */
static void app_dns_records(const uint8_t *d, size_t n, size_t pos, uint16_t an, uint16_t ns,
                            struct eve_dns *m)
{
    char nm[APP_DNS_NAME_MAX + 1];

    for (uint32_t i = 0; i < (uint32_t)an + ns; i++) {
        struct eve_dns_rr *rr = &m->rr[m->nrr];
        uint32_t nl = 0;
        if (m->nrr >= EVE_DNS_RR_MAX || app_dns_name(d, n, &pos, nm, &nl) != 0 || pos + 10 > n)
            goto cut;
        memset(rr, 0, sizeof(*rr));
        rr->section = i < an ? EVE_DNS_ANSWER : EVE_DNS_AUTHORITY;
        rr->rrtype = rd16(d + pos);
        rr->ttl = rd32(d + pos + 4);
        size_t rl = rd16(d + pos + 8);
        pos += 10;
        if (pos + rl > n)
            goto cut;
        if (rr->rrtype == 41) {      /* OPT is not a record of the answer */
            pos += rl;
            continue;
        }
        uint32_t save = m->text_len;
        if (text_str(m, nm, nl, &rr->name_off, &rr->name_len) != 0 ||
            app_dns_rdata(m, d, pos, rl, rr) != 0) {
            m->text_len = save;
            goto cut;
        }
        m->nrr++;
        pos += rl;
    }
    return;
cut:
    m->rr_cut = true;
}

int app_dns_parse(const uint8_t *d, size_t n, struct eve_dns *out)
{
    size_t pos = 12;

    out->qname[0] = '\0';
    out->qname_len = 0;
    out->nrr = 0;
    out->text_len = 0;
    out->rr_cut = false;
    if (d == NULL || n < 12)
        return -1;
    uint16_t flags = rd16(d + 2);
    uint16_t qd = rd16(d + 4);
    if (qd == 0 || ((flags >> 11) & 0xf) > 5)  /* opcode: query..update */
        return -1;
    out->id = rd16(d);
    out->flags = flags;
    out->opcode = (uint8_t)((flags >> 11) & 0xf);
    out->rcode = (uint8_t)(flags & 0xf);
    out->response = (flags & 0x8000u) != 0;
    if (app_dns_name(d, n, &pos, out->qname, &out->qname_len) != 0 || pos + 4 > n)
        return -1;
    out->qtype = rd16(d + pos);
    pos += 4;
    if (!out->response)
        return 0;
    /* further questions (rare) are skipped */
    for (uint16_t i = 1; i < qd; i++) {
        char nm[APP_DNS_NAME_MAX + 1];
        uint32_t nl;
        if (app_dns_name(d, n, &pos, nm, &nl) != 0 || pos + 4 > n) {
            out->rr_cut = true;
            return 0;
        }
        pos += 4;
    }
    app_dns_records(d, n, pos, rd16(d + 6), rd16(d + 8), out);
    return 0;
}

/* ---- DNS over TCP ---- */

struct app_dns_tcp {
    uint8_t *buf[2];            /* a message split across deliveries: 2 + length bytes */
    uint32_t have[2];
    uint8_t hdr[2][2];          /* the length prefix, when it is split too */
    uint8_t hdr_have[2];
    uint8_t stop[2];            /* not DNS, or a gap: no resync */
    uint8_t seen[2];            /* a message of this direction parsed */
};

static struct app_dns_tcp *app_dns_tcp_get(struct app_dns_tcp **slot)
{
    if (*slot == NULL)
        *slot = calloc(1, sizeof(**slot));
    return *slot;
}

/* One framed message; a first message that is not DNS stops the direction. */
static void app_dns_tcp_msg(struct app_dns_tcp **slot, int dir, const uint8_t *msg, size_t n,
                            app_dns_tcp_fn fn, void *arg)
{
    bool first = *slot == NULL || !(*slot)->seen[dir];
    if (fn(arg, dir, msg, n) == 0) {
        if (first && app_dns_tcp_get(slot) != NULL)
            (*slot)->seen[dir] = 1;
    } else if (first && app_dns_tcp_get(slot) != NULL) {
        (*slot)->stop[dir] = 1;
    }
}

void app_dns_tcp_data(struct app_dns_tcp **slot, int dir, const uint8_t *d, size_t n,
                      app_dns_tcp_fn fn, void *arg)
{
    struct app_dns_tcp *t = *slot;

    if (t != NULL && t->stop[dir])
        return;
    while (n > 0) {
        t = *slot;
        if (t != NULL && (t->hdr_have[dir] > 0 || t->buf[dir] != NULL)) {
            /* continue a split prefix or message */
            if (t->hdr_have[dir] < 2) {
                t->hdr[dir][t->hdr_have[dir]++] = *d++;
                n--;
                if (t->hdr_have[dir] < 2)
                    continue;
                size_t ml = rd16(t->hdr[dir]);
                if (ml < 12) {
                    t->stop[dir] = 1;
                    return;
                }
                if ((t->buf[dir] = malloc(ml)) == NULL) {
                    t->stop[dir] = 1;
                    return;
                }
                t->have[dir] = 0;
                continue;
            }
            size_t ml = rd16(t->hdr[dir]);
            size_t take = ml - t->have[dir] < n ? ml - t->have[dir] : n;
            memcpy(t->buf[dir] + t->have[dir], d, take);
            t->have[dir] += (uint32_t)take;
            d += take;
            n -= take;
            if (t->have[dir] < ml)
                return;
            uint8_t *msg = t->buf[dir];
            t->buf[dir] = NULL;
            t->hdr_have[dir] = 0;
            app_dns_tcp_msg(slot, dir, msg, ml, fn, arg);
            free(msg);
            if ((*slot)->stop[dir])
                return;
            continue;
        }
        /* whole messages straight from the delivery */
        if (n >= 2) {
            size_t ml = rd16(d);
            if (ml < 12) {
                if (app_dns_tcp_get(slot) != NULL)
                    (*slot)->stop[dir] = 1;
                return;
            }
            if (n >= 2 + ml) {
                app_dns_tcp_msg(slot, dir, d + 2, ml, fn, arg);
                d += 2 + ml;
                n -= 2 + ml;
                if (*slot != NULL && (*slot)->stop[dir])
                    return;
                continue;
            }
        }
        /* a split message: keep its prefix, then its bytes */
        if ((t = app_dns_tcp_get(slot)) == NULL)
            return;
        t->hdr[dir][t->hdr_have[dir]++] = *d++;
        n--;
    }
}

void app_dns_tcp_gap(struct app_dns_tcp **slot, int dir)
{
    struct app_dns_tcp *t = app_dns_tcp_get(slot);

    if (t == NULL)
        return;
    free(t->buf[dir]);
    t->buf[dir] = NULL;
    t->hdr_have[dir] = 0;
    t->stop[dir] = 1;
}

void app_dns_tcp_free(struct app_dns_tcp *t)
{
    if (t == NULL)
        return;
    free(t->buf[0]);
    free(t->buf[1]);
    free(t);
}
