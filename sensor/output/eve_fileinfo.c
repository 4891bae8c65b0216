/* eve_fileinfo: fileinfo events and file/stream alerts (see eve_fileinfo.h).
 * Field names are Suricata's (etc/schema.json: fileinfo.*, alert.*); Canh's
 * own addition is fileinfo.yara, an array of {rule, namespace, tags, meta}.
 */
#include <string.h>

#include "output/eve_fileinfo.h"

/* The snapshot, turned so that eve_begin writes src/dest in direction dir
 * (0: as the client sent, 1: as the server sent). */
static struct flow eve_fileinfo_dir_flow(const struct flow *f, int dir)
{
    struct flow d = *f;

    if (dir == FLOW_DIR_TOCLIENT)
        d.client_is_lo = !d.client_is_lo;
    return d;
}

static void eve_fileinfo_http(struct jb *j, const struct file_info *fi)
{
    if (fi->url[0] == '\0' && fi->host[0] == '\0')
        return;
    jb_open_object(j, "http");
    if (fi->host[0] != '\0')
        jb_str(j, "hostname", fi->host);
    if (fi->url[0] != '\0')
        jb_str(j, "url", fi->url);
    jb_close_object(j);
}

void eve_fileinfo_object(struct jb *j, const struct file_info *fi,
                         const struct fscan_yara_result *yr)
{
    char hex[65];

    jb_open_object(j, "fileinfo");
    jb_strn(j, "filename", fi->name, fi->name_len);
    if (fi->magic[0] != '\0')
        jb_str(j, "magic", fi->magic);
    jb_bool(j, "gaps", fi->state == FILE_STATE_TRUNCATED && !fi->data_complete);
    jb_str(j, "state", file_state_name(fi->state));
    if (fi->hashed) {
        if (fi->hashes & FILE_HASH_MD5) {
            file_hex(fi->md5, 16, hex);
            jb_str(j, "md5", hex);
        }
        if (fi->hashes & FILE_HASH_SHA1) {
            file_hex(fi->sha1, 20, hex);
            jb_str(j, "sha1", hex);
        }
        file_hex(fi->sha256, 32, hex);
        jb_str(j, "sha256", hex);
    }
    jb_bool(j, "stored", fi->stored);
    jb_uint(j, "size", fi->size);
    jb_uint(j, "tx_id", fi->tx_id);
    if (yr != NULL) {
        jb_open_array(j, "yara");
        for (int i = 0; i < yr->n; i++)
            fscan_yara_rule_json(yr->rule[i], j);
        jb_close_array(j);
        if (yr->timeout)
            jb_bool(j, "yara_timeout", true);
    }
    jb_close_object(j);
}

void eve_fileinfo_stats_json(struct jb *j, const struct fscan_stats *s)
{
    jb_open_object(j, "files");
    jb_uint(j, "files", s->files);
    jb_uint(j, "truncated", s->truncated);
    jb_uint(j, "open_failures", s->open_fail);
    jb_uint(j, "memcap_drops", s->memcap_drops);
    jb_uint(j, "queued", s->queued);
    jb_uint(j, "queue_drops", s->queue_drops);
    jb_uint(j, "queue_waits", s->queue_waits);
    jb_uint(j, "scanned", s->scanned);
    jb_uint(j, "cache_hits", s->cache_hits);
    jb_uint(j, "yara_matches", s->yara_matches);
    jb_uint(j, "yara_timeouts", s->yara_timeouts);
    jb_uint(j, "yara_errors", s->yara_errors);
    jb_uint(j, "stream_scanned", s->stream_scanned);
    jb_uint(j, "stream_matches", s->stream_matches);
    jb_uint(j, "stream_skipped", s->stream_skipped);
    jb_uint(j, "yara_alert_dups", s->alert_dups);
    jb_uint(j, "hash_alerts", s->hash_alerts);
    jb_uint(j, "stored", s->stored);
    jb_uint(j, "store_full", s->store_full);
    jb_uint(j, "store_errors", s->store_errors);
    jb_uint(j, "reloads", s->reloads);
    jb_uint(j, "reload_failures", s->reload_failures);
    jb_close_object(j);
}

int eve_fileinfo_log(struct eve_out *o, const struct flow *f, struct timeval ts,
                     const struct file_info *fi, const struct fscan_yara_result *yr)
{
    struct flow d = eve_fileinfo_dir_flow(f, fi->dir);
    struct jb *j = eve_begin(o, "fileinfo", &d, NULL, ts);

    eve_fileinfo_http(j, fi);
    eve_fileinfo_object(j, fi, yr);
    return eve_commit(o);
}

int eve_fileinfo_alert(struct eve_out *o, const struct flow *f, int dir, struct timeval ts,
                       const struct eve_fileinfo_sig *sig, const struct file_info *fi,
                       const struct fscan_yara_result *yr)
{
    struct flow d = eve_fileinfo_dir_flow(f, fi != NULL ? fi->dir : dir);
    struct jb *j = eve_begin(o, "alert", &d, NULL, ts);

    jb_open_object(j, "alert");
    jb_str(j, "action", "allowed");
    jb_uint(j, "gid", sig->gid);
    jb_uint(j, "signature_id", sig->sid);
    jb_uint(j, "rev", sig->rev);
    jb_str(j, "signature", sig->signature != NULL ? sig->signature : "");
    jb_str(j, "category", sig->category != NULL ? sig->category : "");
    jb_int(j, "severity", sig->severity);
    if (sig->metadata != NULL && sig->metadata[0] == '{')
        jb_raw(j, "metadata", sig->metadata, strlen(sig->metadata));
    jb_close_object(j);
    if (fi != NULL) {
        eve_fileinfo_http(j, fi);
        eve_fileinfo_object(j, fi, yr);
    }
    return eve_commit(o);
}
