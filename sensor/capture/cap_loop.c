/* cap_loop: capture thread, fan-out, ticks and stats (see cap_loop.h).
 * Offline files block on a full ring (every packet is processed); live
 * capture never blocks the reader: a full ring drops the packet, counted
 * as queue_drops in stats.
 */
#include <pcap/dlt.h>
#include <string.h>
#include <time.h>

#include "capture/cap_loop.h"
#include "classify/dpi_ndpi.h"
#include "output/eve_stats.h"

static uint32_t cap_loop_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x7feb352dU;
    h ^= h >> 15;
    h *= 0x846ca68bU;
    h ^= h >> 16;
    return h;
}

/* Sum of the two addresses (order-free, so symmetric) and the VLAN. */
uint32_t cap_loop_hash(int datalink, const uint8_t *d, uint32_t caplen, bool vlan_tracking)
{
    uint32_t off, h = 0;
    uint16_t type, vlan = 0;

    switch (datalink) {
    case DLT_EN10MB:
        if (caplen < 14)
            return 0;
        type = (uint16_t)(d[12] << 8 | d[13]);
        off = 14;
        while ((type == 0x8100 || type == 0x88a8) && caplen >= off + 4) {
            vlan = (uint16_t)((d[off] << 8 | d[off + 1]) & 0x0fff);
            type = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
            off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (caplen < 16)
            return 0;
        type = (uint16_t)(d[14] << 8 | d[15]);
        off = 16;
        break;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        if (caplen < 1)
            return 0;
        type = (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
        off = 0;
        break;
    case DLT_NULL:
        if (caplen < 5)
            return 0;
        type = (d[4] >> 4) == 6 ? 0x86dd : 0x0800;
        off = 4;
        break;
    default:
        return 0;
    }
    if (type == 0x0800 && caplen >= off + 20) {
        uint32_t a, b;
        memcpy(&a, d + off + 12, 4);
        memcpy(&b, d + off + 16, 4);
        h = a + b;
    } else if (type == 0x86dd && caplen >= off + 40) {
        for (int i = 0; i < 4; i++) {
            uint32_t a, b;
            memcpy(&a, d + off + 8 + 4 * i, 4);
            memcpy(&b, d + off + 24 + 4 * i, 4);
            h += a + b;
        }
    }
    if (vlan_tracking)
        h += vlan;
    return cap_loop_mix(h);
}

static double cap_loop_mono(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cap_loop_stats(const struct cap_loop_cfg *c, double started, uint64_t queue_drops,
                           struct timeval ts)
{
    struct eve_stats_data sum, one;
    struct cap_stats cs;

    if (c->stats_out == NULL)
        return;
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < c->nworkers; i++) {
        worker_read_stats(c->workers[i], &one);
        eve_stats_add(&sum, &one);
    }
    cap_get_stats(c->cap, &cs);
    sum.kernel_packets = cs.received;
    sum.kernel_drops = cs.dropped;
    sum.kernel_ifdrops = cs.ifdropped;
    sum.queue_drops = queue_drops;
    sum.mem_ndpi = dpi_mem_in_use();
    sum.eve_events = c->ew != NULL ? eve_writer_events(c->ew) : 0;
    sum.uptime = cap_loop_mono() - started;
    if (c->ship != NULL) {
        ship_get_stats(c->ship, &sum.ship);
        sum.ship_on = true;
    }
    eve_stats_log(c->stats_out, &sum, ts);
    eve_out_flush(c->stats_out);
}

static void cap_loop_tick_all(const struct cap_loop_cfg *c, struct timeval ts)
{
    for (int i = 0; i < c->nworkers; i++) {
        if (c->nworkers == 1)
            worker_tick(c->workers[i], ts);
        else
            cap_ring_put(worker_ring(c->workers[i]), CAP_RING_TICK, ts, NULL, 0, 0, true);
    }
}

int cap_loop_run(const struct cap_loop_cfg *c)
{
    int dl = cap_datalink(c->cap);
    bool live = cap_is_live(c->cap);
    double started = cap_loop_mono(), next_stats = started + c->stats_interval;
    struct timeval last = { 0, 0 }, tick = { 0, 0 }, ts;
    uint64_t queue_drops = 0, n = 0;
    uint32_t caplen, len;
    const uint8_t *data;
    int rc = 0;

    for (int i = 0; c->nworkers > 1 && i < c->nworkers; i++)
        if (worker_start(c->workers[i]) != 0)
            return -1;
    while (!*c->stop) {
        int r = cap_next(c->cap, &ts, &caplen, &len, &data);
        if (r < 0) {
            rc = r == -2 ? -1 : 0;
            break;
        }
        if (r == 0) {
            /* Live and quiet: wall time stands in for packet time. */
            gettimeofday(&ts, NULL);
            cap_loop_tick_all(c, ts);
        } else {
            if (ts.tv_sec > tick.tv_sec) {
                if (tick.tv_sec != 0)
                    cap_loop_tick_all(c, ts);
                tick = ts;
            }
            if (timercmp(&ts, &last, >))
                last = ts;
            if (c->nworkers == 1) {
                worker_packet(c->workers[0], ts, data, caplen, len);
            } else {
                uint32_t h = cap_loop_hash(dl, data, caplen, c->vlan_tracking);
                struct worker *w = c->workers[h % (uint32_t)c->nworkers];
                if (cap_ring_put(worker_ring(w), CAP_RING_PACKET, ts, data, caplen, len, !live) != 0)
                    queue_drops++;
            }
        }
        if (c->stats_interval > 0 && (++n & 1023) == 0 && cap_loop_mono() >= next_stats) {
            cap_loop_stats(c, started, queue_drops, live ? ts : last);
            next_stats += c->stats_interval;
        }
    }
    if (c->nworkers == 1) {
        worker_finish(c->workers[0]);
    } else {
        for (int i = 0; i < c->nworkers; i++)
            cap_ring_put(worker_ring(c->workers[i]), CAP_RING_END, last, NULL, 0, 0, true);
        for (int i = 0; i < c->nworkers; i++)
            worker_join(c->workers[i]);
    }
    if (live)
        gettimeofday(&last, NULL);
    cap_loop_stats(c, started, queue_drops, last);
    return rc;
}
