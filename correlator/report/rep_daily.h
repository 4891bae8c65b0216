/* rep_daily: the daily summary: which UTC day is due at a given time, and
 * the day's counts (by severity, rule, sensor) and incidents read from the
 * store, as the summary JSON stix_build_daily() turns into a STIX report.
 * A day is summarised once, after report.daily.at (UTC) of the next day;
 * the last day sent is kept in the store's state table. Loop thread only.
 */
#ifndef CANH_REP_DAILY_H
#define CANH_REP_DAILY_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"

#define REP_DAILY_DAY_US (86400LL * 1000000)

/* Start (µs, 00:00 UTC) of the day to summarise at now_us: the previous day
 * once now is past daily_minute after midnight and that day is later than
 * last_done (a day start, 0 = none); else 0. */
int64_t rep_daily_due(int64_t now_us, int daily_minute, int64_t last_done);

/* "YYYY-MM-DD" of a day start into out (at least 11 bytes). */
void rep_daily_name(int64_t day_us, char *out, unsigned cap);
/* Parse "YYYY-MM-DD" into its day start; 0 on a bad date. */
int64_t rep_daily_parse(const char *s);

/* The summary of incidents opened on the day starting at day_us (new
 * reference; NULL on a store error). "incidents" lists those that match
 * the reporting policy (they are in the centre's collection); the counts
 * cover every incident of the day; "rule_titles" maps each rule id to its
 * {"en", "vi"} titles (either may be absent). generated_us is its creation
 * time. */
json_t *rep_daily_summary(struct db *d, int64_t day_us, int64_t generated_us, int min_severity,
                          const char *statuses_json, const char *rules_json);

#endif
