/* eve_fileinfo: EVE `fileinfo` events (Suricata's fields: fileinfo.filename,
 * magic, size, state, stored, gaps, md5, sha1, sha256, tx_id, plus Canh's
 * fileinfo.yara: the matching rules with tags and meta) and the `alert`
 * events raised by YARA and by file hash lists, tied to the flow and the file.
 * Called from the file scan threads, each with its own eve_out.
 */
#ifndef CANH_EVE_FILEINFO_H
#define CANH_EVE_FILEINFO_H

#include <stdint.h>
#include <sys/time.h>

#include "filescan/file_track.h"
#include "filescan/filescan.h"
#include "filescan/fscan_yara.h"
#include "flow/flow.h"
#include "jb.h"
#include "output/eve_writer.h"

/* A signature behind an alert (strings borrowed for the call). */
struct eve_fileinfo_sig {
    uint32_t gid, sid, rev;
    int severity;
    const char *signature;
    const char *category;   /* "" or NULL: none */
    const char *metadata;   /* JSON object text or NULL */
};

/* The `fileinfo` object (and `http` when the file has a URL or host) into an
 * event being built. yr may be NULL (not scanned). */
void eve_fileinfo_object(struct jb *j, const struct file_info *fi,
                         const struct fscan_yara_result *yr);
/* One fileinfo event. f: a snapshot of the flow (addresses, flow_id,
 * app_proto); the event reads in the file's direction (a response body goes
 * server -> client, as Suricata writes it). 0 or -1 (did not fit, counted). */
int eve_fileinfo_log(struct eve_out *o, const struct flow *f, struct timeval ts,
                     const struct file_info *fi, const struct fscan_yara_result *yr);
/* An alert about a file (fi) or a stream (fi NULL; dir gives the direction). */
int eve_fileinfo_alert(struct eve_out *o, const struct flow *f, int dir, struct timeval ts,
                       const struct eve_fileinfo_sig *sig, const struct file_info *fi,
                       const struct fscan_yara_result *yr);

/* The `files` object of the stats event (fscan counters). */
void eve_fileinfo_stats_json(struct jb *j, const struct fscan_stats *s);

#endif
