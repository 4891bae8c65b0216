/* fuzz_stream: arbitrary packet sequences straight into the stream stage
 * (tcp_state_packet), two sessions at once, with small pools so memcaps,
 * gaps, depth and overlaps are reached. Checks the delivery contract on
 * every callback and that everything is given back at the end; a broken
 * invariant aborts (a crash for libFuzzer).
 * Input: 4 config bytes (flags, depth, window, pool), then records of
 * [dir/session/flags][seq delta][ack delta][len] + len payload bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    uint64_t next[2][2];  /* [session][dir] expected stream_offset */
    struct tcp_session *s[2];
    struct tcp_ctx *ctx;
};

static void fz_cb(void *arg, struct tcp_session *s, int dir, const uint8_t *d, size_t len,
                  uint64_t off, unsigned flags)
{
    struct fz *f = arg;
    int k = (int)(uintptr_t)tcp_session_user(s);

    if (k < 0 || k > 1 || dir < 0 || dir > 1)
        abort();
    if (off != f->next[k][dir])
        abort();
    if ((flags & TCP_DATA_GAP) ? (d != NULL || len == 0) : (len > 0 && d == NULL))
        abort();
    if (len > 0 && !(flags & TCP_DATA_GAP)) {
        const uint8_t *w;
        size_t wl, ns;
        if (tcp_reasm_window(f->ctx, &w, &wl, &ns) != 0 || wl != ns + len ||
            memcmp(w + ns, d, len) != 0)
            abort();
    }
    f->next[k][dir] += len;
    if (flags & TCP_DATA_CLOSE)
        f->next[k][dir] = 0; /* the session is over; a new one starts at 0 */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t payload[256];
    struct fz f;
    struct tcp_cfg cfg;
    size_t i = 4;
    uint32_t base[2] = { 0xFFFFFF00u, 1000u };

    if (size < 4)
        return 0;
    memset(&f, 0, sizeof(f));
    cfg.midstream = data[0] & 1;
    cfg.memcap = 1u << 16;
    cfg.reasm_memcap = (uint64_t)(data[3] % 8) * 2048;
    cfg.depth = (data[0] & 2) ? (uint64_t)data[1] * 4 : 0;
    cfg.window = data[2] % 64;
    f.ctx = tcp_ctx_new(&cfg, fz_cb, &f);
    if (f.ctx == NULL)
        abort();
    while (i + 4 <= size) {
        uint8_t h = data[i];
        int dir = h & 1, k = (h >> 1) & 1;
        struct packet p;
        memset(&p, 0, sizeof(p));
        p.proto = 6;
        p.tcp_hlen = 20;
        p.tcp_win = 1024;
        /* flags: FIN SYN RST ACK from bits 2..5 (ACK usually set) */
        p.tcp_flags = (uint8_t)(((h >> 2) & 0x7) | (((h >> 5) & 1) ? 0 : 0x10));
        p.tcp_seq = base[dir] + (uint32_t)(int8_t)data[i + 1] * 8u;
        p.tcp_ack = base[!dir] + (uint32_t)(int8_t)data[i + 2] * 8u;
        uint32_t len = data[i + 3] % 64;
        i += 4;
        if (len > size - i)
            len = (uint32_t)(size - i);
        memcpy(payload, data + i, len);
        i += len;
        p.payload = len ? payload : NULL;
        p.payload_len = len;
        tcp_state_packet(f.ctx, &f.s[k], (void *)(uintptr_t)k, &p, dir);
    }
    for (int k = 0; k < 2; k++)
        tcp_state_session_end(f.ctx, &f.s[k]);
    if (tcp_ctx_held_bytes(f.ctx) != 0 || tcp_ctx_sessions_in_use(f.ctx) != 0)
        abort();
    tcp_ctx_free(f.ctx);
    return 0;
}
