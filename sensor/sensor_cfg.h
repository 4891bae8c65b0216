/* sensor_cfg: the schema of canh-sensor's core keys (Suricata's names where
 * the meaning is the same) and the typed struct they are read into once at
 * start-up. Other stages register their own tables next to this one (see
 * main.c) and read their own sections in their x_init.
 */
#ifndef CANH_SENSOR_CFG_H
#define CANH_SENSOR_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "decode/defrag.h"
#include "flow/flow_table.h"

enum sensor_csum { SENSOR_CSUM_AUTO = 0, SENSOR_CSUM_NONE, SENSOR_CSUM_ALL };

struct sensor_cfg {
    char sensor_id[128];          /* sensor-id, default: the host name */
    const char *log_dir;          /* default-log-dir (borrowed from the cfg) */
    int workers;
    struct flow_table_cfg flow;   /* flow.max-flows (whole sensor), flow-timeouts.* */
    uint32_t ndpi_max_flows;      /* ndpi.max-flows: nDPI states at once, whole sensor */
    int stats_interval;           /* stats.interval, seconds; 0 disables periodic stats */
    bool stats_enabled;
    int snaplen;
    bool promisc;
    int64_t buffer_size;
    int64_t queue_size;           /* capture.queue-size: bytes of ring per worker */
    enum sensor_csum csum;
    bool vlan_tracking;
    bool defrag_enabled;
    struct defrag_cfg defrag;
    bool eve_enabled, eve_flow, eve_stats, eve_anomaly;
    int64_t eve_buffer;
    uint32_t anomaly_rate;
    const char *log_level;
    const char *log_file;
    const char *user, *group;
};

/* Add the core schema table to c. */
int sensor_cfg_schema(struct cfg *c);
/* Read the typed values; 0, or the number of errors (logged with key path). */
int sensor_cfg_read(const struct cfg *c, struct sensor_cfg *out);

#endif
