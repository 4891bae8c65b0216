/* sensor_cfg: core schema table and its reader (see sensor_cfg.h).
 * Defaults are Suricata's where a Suricata key exists (flow-timeouts,
 * stats.interval 8 s, snaplen 65535), so `canh-sensor -r x.pcap -l out`
 * needs no file.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sensor_cfg.h"

#define TO(pg, st, def) { "flow-timeouts." pg "." st, CFG_INT, def, 0, 86400, \
                          "seconds a " pg " flow in state " st " may stay idle" }
#define TO_GROUP(pg, n, e, c, b, en, ee, ec, eb) \
    TO(pg, "new", n), TO(pg, "established", e), TO(pg, "closed", c), TO(pg, "bypassed", b), \
    TO(pg, "emergency-new", en), TO(pg, "emergency-established", ee),                       \
    TO(pg, "emergency-closed", ec), TO(pg, "emergency-bypassed", eb)

static const struct cfg_opt sensor_cfg_opts[] = {
    { "sensor-id", CFG_STR, NULL, 0, 0, "identity in every event (canh.sensor); default: host name" },
    { "default-log-dir", CFG_STR, ".", 0, 0, "directory of eve.json and canh.seq (-l overrides)" },
    { "workers", CFG_INT, "1", 1, 64, "packet worker threads (--workers)" },
    { "capture.queue-size", CFG_SIZE, "16mb", 262144, (int64_t)1 << 32, "bytes of packet queue per worker (copied frames)" },
    { "flow.max-flows", CFG_INT, "262144", 16, 100000000, "flows tracked at once, whole sensor (one budget the workers share)" },
    { "ndpi.max-flows", CFG_INT, "0", 0, 100000000, "flows classified at once (0: flow.max-flows)" },
    TO_GROUP("default", "30", "300", "0", "100", "10", "100", "0", "50"),
    TO_GROUP("tcp", "60", "600", "60", "100", "5", "100", "10", "50"),
    TO_GROUP("udp", "30", "300", "0", "100", "10", "100", "0", "50"),
    TO_GROUP("icmp", "30", "300", "0", "100", "10", "100", "0", "50"),
    { "stats.enabled", CFG_BOOL, "yes", 0, 0, "write stats events" },
    { "stats.interval", CFG_INT, "8", 0, 86400, "seconds between stats events (0: only at exit)" },
    { "capture.snaplen", CFG_INT, "65535", 64, 262144, "bytes captured per packet (live)" },
    { "capture.promisc", CFG_BOOL, "yes", 0, 0, "promiscuous mode (live)" },
    { "capture.buffer-size", CFG_SIZE, "0", 0, (int64_t)1 << 31, "kernel ring buffer bytes (live; 0: libpcap default)" },
    { "capture.checksum-checks", CFG_STR, "auto", 0, 0, "auto | all | none (-k): verify IP/TCP/UDP checksums" },
    { "vlan.use-for-tracking", CFG_BOOL, "yes", 0, 0, "VLAN id is part of the flow key" },
    { "defrag.enabled", CFG_BOOL, "yes", 0, 0, "reassemble IP fragments" },
    { "defrag.max-trackers", CFG_INT, "65535", 16, 10000000, "datagrams reassembled at once, whole sensor" },
    { "defrag.memcap", CFG_SIZE, "32mb", 65536, (int64_t)1 << 40, "fragment bytes held at once, whole sensor" },
    { "defrag.timeout", CFG_INT, "60", 1, 3600, "seconds to complete a datagram" },
    { "outputs.eve-log.enabled", CFG_BOOL, "yes", 0, 0, "write LOGDIR/eve.json" },
    { "outputs.eve-log.types.flow", CFG_BOOL, "yes", 0, 0, "flow events" },
    { "outputs.eve-log.types.stats", CFG_BOOL, "yes", 0, 0, "stats events" },
    { "outputs.eve-log.types.anomaly", CFG_BOOL, "yes", 0, 0, "anomaly events" },
    { "outputs.eve-log.buffer-size", CFG_SIZE, "256kb", 65536, (int64_t)1 << 30, "EVE bytes buffered per worker before a write" },
    { "outputs.eve-log.anomaly-rate", CFG_INT, "10", 0, 1000000, "anomaly events per reason per second per worker" },
    { "logging.level", CFG_STR, "notice", 0, 0, "error | warning | notice | info | debug" },
    { "logging.file", CFG_STR, NULL, 0, 0, "also log to this file" },
    { "run-as.user", CFG_STR, NULL, 0, 0, "drop privileges to this user after opening capture (--user)" },
    { "run-as.group", CFG_STR, NULL, 0, 0, "drop privileges to this group (--group)" },
};

int sensor_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, sensor_cfg_opts, sizeof(sensor_cfg_opts) / sizeof(sensor_cfg_opts[0]));
}

static void sensor_cfg_timeouts(const struct cfg *c, const char *pg, uint32_t *to, uint32_t *em)
{
    static const char *const st[FLOW_NSTATES] = { "new", "established", "closed", "bypassed" };
    char key[128];

    for (int i = 0; i < FLOW_NSTATES; i++) {
        snprintf(key, sizeof(key), "flow-timeouts.%s.%s", pg, st[i]);
        to[i] = (uint32_t)cfg_get_int(c, key);
        snprintf(key, sizeof(key), "flow-timeouts.%s.emergency-%s", pg, st[i]);
        em[i] = (uint32_t)cfg_get_int(c, key);
    }
}

int sensor_cfg_read(const struct cfg *c, struct sensor_cfg *o)
{
    const char *s;
    int errors = 0;

    memset(o, 0, sizeof(*o));
    s = cfg_get_str(c, "sensor-id");
    if (s != NULL && s[0] != '\0')
        snprintf(o->sensor_id, sizeof(o->sensor_id), "%s", s);
    else if (gethostname(o->sensor_id, sizeof(o->sensor_id) - 1) != 0 || o->sensor_id[0] == '\0')
        snprintf(o->sensor_id, sizeof(o->sensor_id), "sensor");
    if (strchr(o->sensor_id, ':') != NULL) {
        log_error("cfg", "sensor-id: \"%s\" must not contain ':' (it separates canh.id)", o->sensor_id);
        errors++;
    }
    o->log_dir = cfg_get_str(c, "default-log-dir");
    o->workers = (int)cfg_get_int(c, "workers");
    o->queue_size = cfg_get_int(c, "capture.queue-size");
    flow_table_cfg_defaults(&o->flow);
    o->flow.max_flows = (uint32_t)cfg_get_int(c, "flow.max-flows");
    sensor_cfg_timeouts(c, "tcp", o->flow.timeout[FLOW_PG_TCP], o->flow.emerg_timeout[FLOW_PG_TCP]);
    sensor_cfg_timeouts(c, "udp", o->flow.timeout[FLOW_PG_UDP], o->flow.emerg_timeout[FLOW_PG_UDP]);
    sensor_cfg_timeouts(c, "icmp", o->flow.timeout[FLOW_PG_ICMP], o->flow.emerg_timeout[FLOW_PG_ICMP]);
    sensor_cfg_timeouts(c, "default", o->flow.timeout[FLOW_PG_OTHER], o->flow.emerg_timeout[FLOW_PG_OTHER]);
    o->ndpi_max_flows = (uint32_t)cfg_get_int(c, "ndpi.max-flows");
    if (o->ndpi_max_flows == 0)
        o->ndpi_max_flows = o->flow.max_flows;
    o->stats_enabled = cfg_get_bool(c, "stats.enabled");
    o->stats_interval = (int)cfg_get_int(c, "stats.interval");
    o->snaplen = (int)cfg_get_int(c, "capture.snaplen");
    o->promisc = cfg_get_bool(c, "capture.promisc");
    o->buffer_size = cfg_get_int(c, "capture.buffer-size");
    s = cfg_get_str(c, "capture.checksum-checks");
    if (s == NULL || strcmp(s, "auto") == 0)
        o->csum = SENSOR_CSUM_AUTO;
    else if (strcmp(s, "none") == 0 || strcmp(s, "no") == 0)
        o->csum = SENSOR_CSUM_NONE;
    else if (strcmp(s, "all") == 0 || strcmp(s, "yes") == 0)
        o->csum = SENSOR_CSUM_ALL;
    else {
        log_error("cfg", "capture.checksum-checks: \"%s\" is not one of auto, all, none", s);
        errors++;
    }
    o->vlan_tracking = cfg_get_bool(c, "vlan.use-for-tracking");
    o->defrag_enabled = cfg_get_bool(c, "defrag.enabled");
    o->defrag.max_trackers = (uint32_t)cfg_get_int(c, "defrag.max-trackers");
    o->defrag.memcap = (uint64_t)cfg_get_int(c, "defrag.memcap");
    o->defrag.timeout_sec = (uint32_t)cfg_get_int(c, "defrag.timeout");
    o->eve_enabled = cfg_get_bool(c, "outputs.eve-log.enabled");
    o->eve_flow = cfg_get_bool(c, "outputs.eve-log.types.flow");
    o->eve_stats = cfg_get_bool(c, "outputs.eve-log.types.stats");
    o->eve_anomaly = cfg_get_bool(c, "outputs.eve-log.types.anomaly");
    o->eve_buffer = cfg_get_int(c, "outputs.eve-log.buffer-size");
    o->anomaly_rate = (uint32_t)cfg_get_int(c, "outputs.eve-log.anomaly-rate");
    o->log_level = cfg_get_str(c, "logging.level");
    if (o->log_level != NULL && log_level_parse(o->log_level) < 0) {
        log_error("cfg", "logging.level: \"%s\" is not one of error, warning, notice, info, debug",
                  o->log_level);
        errors++;
    }
    o->log_file = cfg_get_str(c, "logging.file");
    o->user = cfg_get_str(c, "run-as.user");
    o->group = cfg_get_str(c, "run-as.group");
    return errors;
}
