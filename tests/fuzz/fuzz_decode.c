/* fuzz_decode: the packet decoder and defrag on untrusted frames.
 *
 * Input: a sequence of records [dlt selector][flags][length, 2 bytes BE]
 * [frame]; the last record takes whatever is left. flags bit 0 turns on
 * checksum verification, bit 1 makes the wire length longer than the
 * capture (snaplen cut), bits 2..7 advance packet time (seconds) so that
 * defrag timeouts happen. Fragments go through one defrag per input. After
 * every decode, the pointers in struct packet must stay inside the frame
 * (or inside the reassembled datagram); a violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_dlts[] = { 1, 113, 276, 12, 101, 228, 229, 0, 108, 147 };

static void fuzz_check_range(const uint8_t *p, uint32_t n, const uint8_t *lo, uint32_t lo_len)
{
    if (p == NULL)
        return;
    if (p < lo || p + n > lo + lo_len)
        abort();
}

static void fuzz_check(const struct packet *p, const uint8_t *base, uint32_t base_len)
{
    fuzz_check_range(p->l3, p->l3_len, base, base_len);
    fuzz_check_range(p->l4, p->l4_len, base, base_len);
    fuzz_check_range(p->payload, p->payload_len, base, base_len);
    fuzz_check_range(p->frag_data, p->frag_data_len, base, base_len);
    fuzz_check_range(p->outer_l3, p->outer_l3_len, base, base_len);
    fuzz_check_range(p->tcp_sack, p->tcp_sack_len, base, base_len);
    if (p->l4 != NULL && p->payload != NULL && p->payload < p->l4)
        abort();
    if ((unsigned)p->event >= DEC_EV_MAX || dec_event_name(p->event) == NULL)
        abort();
    if (p->vlan_count > PKT_MAX_VLAN)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct defrag_cfg cfg = { .max_trackers = 8, .memcap = 64 * 1024, .timeout_sec = 30,
                              .verify_csum = true };
    struct defrag *df = defrag_new(&cfg);
    struct dec_stats st;
    struct timeval ts = { 1000, 0 };
    size_t off = 0;

    if (df == NULL)
        return 0;
    memset(&st, 0, sizeof(st));
    while (off + 4 <= size) {
        int dlt = fuzz_dlts[data[off] % (sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0]))];
        uint8_t flags = data[off + 1];
        size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
        struct packet p, out;
        uint8_t *frame;

        off += 4;
        if (len > size - off)
            len = size - off;
        /* a copy of exactly len bytes, so ASan sees any read past the frame */
        frame = malloc(len ? len : 1);
        if (frame == NULL)
            break;
        memcpy(frame, data + off, len);
        off += len;
        ts.tv_sec += flags >> 2;
        if (dec_packet(&p, &st, dlt, frame, (uint32_t)len, (uint32_t)len + ((flags & 2) ? 100 : 0),
                       ts, (flags & 1) != 0) == DEC_OK) {
            fuzz_check(&p, frame, (uint32_t)len);
            if ((p.flags & PKT_IS_FRAGMENT) && defrag_add(df, &p, &out, &st) == 1) {
                const uint8_t *base = (out.flags & PKT_TUNNEL) ? out.outer_l3 : out.l3;
                uint32_t base_len = (out.flags & PKT_TUNNEL) ? out.outer_l3_len : out.l3_len;

                if (!(out.flags & PKT_REASSEMBLED) || base == NULL)
                    abort();
                fuzz_check(&out, base, base_len);
            }
        }
        free(frame);
    }
    defrag_timeout(df, (struct timeval){ ts.tv_sec + 3600, 0 }, &st);
    defrag_free(df);
    return 0;
}
