/* stream_cfg: the stream.* keys of sensor.yaml, checked by the cfg schema,
 * and their translation into a worker's struct tcp_cfg.
 *
 * Key names and defaults follow Suricata (stream.memcap 64mb,
 * stream.reassembly.memcap 256mb, depth 1mb, midstream off); memcaps are
 * sensor-wide and split evenly among the workers.
 */
#include <inttypes.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "stream/stream.h"

#define CFG_KB(n) ((int64_t)(n) * 1024)
#define CFG_MB(n) (CFG_KB(n) * 1024)
#define CFG_GB(n) (CFG_MB(n) * 1024)

static const struct cfg_opt stream_cfg_opts[] = {
    { "stream.memcap", CFG_SIZE, "64mb", CFG_MB(1), CFG_GB(1024),
      "memory for TCP session state (all workers); full: new sessions are not tracked" },
    { "stream.midstream", CFG_BOOL, "false", 0, 0,
      "pick up TCP sessions whose handshake was not seen" },
    { "stream.reassembly.memcap", CFG_SIZE, "256mb", 0, CFG_GB(1024),
      "memory for out-of-order segments (all workers); full: holes become gaps" },
    { "stream.reassembly.depth", CFG_SIZE, "1mb", 0, CFG_GB(1024),
      "bytes reassembled per direction of a session (0 = no limit)" },
    { "stream.reassembly.match-window", CFG_SIZE, "256", 0, CFG_KB(64),
      "bytes of earlier data kept for matches across segments (>= longest content - 1)" },
    { "stream.reset-policy", CFG_STR, "bsd", 0, 0,
      "which RST ends a session: bsd (seq = next expected, FIN counted) or linux (in window)" },
};

int stream_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, stream_cfg_opts, sizeof(stream_cfg_opts) / sizeof(stream_cfg_opts[0]));
}

int stream_cfg_load(const struct cfg *c, unsigned nworkers, struct tcp_cfg *out)
{
    if (nworkers == 0)
        nworkers = 1;
    out->midstream = cfg_get_bool(c, "stream.midstream");
    out->memcap = (uint64_t)cfg_get_int(c, "stream.memcap") / nworkers;
    out->reasm_memcap = (uint64_t)cfg_get_int(c, "stream.reassembly.memcap") / nworkers;
    out->depth = (uint64_t)cfg_get_int(c, "stream.reassembly.depth");
    out->window = (uint32_t)cfg_get_int(c, "stream.reassembly.match-window");
    const char *rp = cfg_get_str(c, "stream.reset-policy");
    if (rp == NULL || strcmp(rp, "bsd") == 0) {
        out->rst_policy = TCP_RST_BSD;
    } else if (strcmp(rp, "linux") == 0) {
        out->rst_policy = TCP_RST_LINUX;
    } else {
        log_error("stream", "stream.reset-policy: \"%s\" is not a policy (bsd or linux)", rp);
        return -1;
    }
    if (out->memcap < (uint64_t)CFG_KB(64)) {
        log_error("stream", "stream.memcap: %" PRIu64 " bytes per worker for %u workers is too "
                  "small (raise stream.memcap to at least %u kb)",
                  out->memcap, nworkers, 64 * nworkers);
        return -1;
    }
    return 0;
}

void stream_cfg_log(const struct tcp_cfg *tc, unsigned nworkers)
{
    log_info("stream", "midstream %s, depth %" PRIu64 ", match-window %u, reset-policy %s, per worker (of %u): "
             "memcap %" PRIu64 ", reassembly.memcap %" PRIu64,
             tc->midstream ? "on" : "off", tc->depth, tc->window,
             tc->rst_policy == TCP_RST_LINUX ? "linux" : "bsd", nworkers, tc->memcap,
             tc->reasm_memcap);
}
