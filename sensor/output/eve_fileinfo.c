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
    jb_open_object_k(j, JB_K("http"));
    if (fi->host[0] != '\0')
        jb_str_k(j, JB_K("hostname"), fi->host);
    if (fi->url[0] != '\0')
        jb_str_k(j, JB_K("url"), fi->url);
    jb_close_object(j);
}

void eve_fileinfo_object(struct jb *j, const struct file_info *fi,
                         const struct fscan_yara_result *yr)
{
    char hex[65];

    jb_open_object_k(j, JB_K("fileinfo"));
    jb_strn_k(j, JB_K("filename"), fi->name, fi->name_len);
    if (fi->magic[0] != '\0')
        jb_str_k(j, JB_K("magic"), fi->magic);
    jb_bool_k(j, JB_K("gaps"), fi->state == FILE_STATE_TRUNCATED && !fi->data_complete);
    jb_str_k(j, JB_K("state"), file_state_name(fi->state));
    if (fi->hashed) {
        if (fi->hashes & FILE_HASH_MD5) {
            file_hex(fi->md5, 16, hex);
            jb_str_k(j, JB_K("md5"), hex);
        }
        if (fi->hashes & FILE_HASH_SHA1) {
            file_hex(fi->sha1, 20, hex);
            jb_str_k(j, JB_K("sha1"), hex);
        }
        file_hex(fi->sha256, 32, hex);
        jb_str_k(j, JB_K("sha256"), hex);
    }
    jb_bool_k(j, JB_K("stored"), fi->stored);
    jb_uint_k(j, JB_K("size"), fi->size);
    jb_uint_k(j, JB_K("tx_id"), fi->tx_id);
    if (yr != NULL) {
        jb_open_array_k(j, JB_K("yara"));
        for (int i = 0; i < yr->n; i++)
            fscan_yara_rule_json(yr->rule[i], j);
        jb_close_array(j);
        if (yr->timeout)
            jb_bool_k(j, JB_K("yara_timeout"), true);
    }
    jb_close_object(j);
}

void eve_fileinfo_stats_json(struct jb *j, const struct fscan_stats *s)
{
    jb_open_object_k(j, JB_K("files"));
    jb_uint_k(j, JB_K("files"), s->files);
    jb_uint_k(j, JB_K("truncated"), s->truncated);
    jb_uint_k(j, JB_K("open_failures"), s->open_fail);
    jb_uint_k(j, JB_K("memcap_drops"), s->memcap_drops);
    jb_uint_k(j, JB_K("queued"), s->queued);
    jb_uint_k(j, JB_K("queue_drops"), s->queue_drops);
    jb_uint_k(j, JB_K("queue_waits"), s->queue_waits);
    jb_uint_k(j, JB_K("scanned"), s->scanned);
    jb_uint_k(j, JB_K("cache_hits"), s->cache_hits);
    jb_uint_k(j, JB_K("yara_matches"), s->yara_matches);
    jb_uint_k(j, JB_K("yara_timeouts"), s->yara_timeouts);
    jb_uint_k(j, JB_K("yara_errors"), s->yara_errors);
    jb_uint_k(j, JB_K("stream_scanned"), s->stream_scanned);
    jb_uint_k(j, JB_K("stream_matches"), s->stream_matches);
    jb_uint_k(j, JB_K("stream_skipped"), s->stream_skipped);
    jb_uint_k(j, JB_K("yara_alert_dups"), s->alert_dups);
    jb_uint_k(j, JB_K("hash_alerts"), s->hash_alerts);
    jb_uint_k(j, JB_K("stored"), s->stored);
    jb_uint_k(j, JB_K("store_full"), s->store_full);
    jb_uint_k(j, JB_K("store_errors"), s->store_errors);
    jb_uint_k(j, JB_K("reloads"), s->reloads);
    jb_uint_k(j, JB_K("reload_failures"), s->reload_failures);
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

    jb_open_object_k(j, JB_K("alert"));
    jb_str_k(j, JB_K("action"), "allowed");
    jb_uint_k(j, JB_K("gid"), sig->gid);
    jb_uint_k(j, JB_K("signature_id"), sig->sid);
    jb_uint_k(j, JB_K("rev"), sig->rev);
    jb_str_k(j, JB_K("signature"), sig->signature != NULL ? sig->signature : "");
    jb_str_k(j, JB_K("category"), sig->category != NULL ? sig->category : "");
    jb_int_k(j, JB_K("severity"), sig->severity);
    if (sig->metadata != NULL && sig->metadata[0] == '{')
        jb_raw_k(j, JB_K("metadata"), sig->metadata, strlen(sig->metadata));
    jb_close_object(j);
    if (fi != NULL) {
        eve_fileinfo_http(j, fi);
        eve_fileinfo_object(j, fi, yr);
    }
    return eve_commit(o);
}
