/* fscan_hashlist: the `filemd5`, `filesha1` and `filesha256` rule keywords
 * and the hash list files they name (Suricata's format: one hex digest per
 * line, '#' comments and blank lines ignored, anything after the digest on
 * the line ignored), so that a province's IOC lists raise alerts on carved
 * files. Rules are read from the rule files (rule-files, -S); only rules
 * using these keywords are taken here (the packet engine skips them), and
 * they are evaluated once per finished file, off the packet path.
 * Accepted keywords: msg sid rev gid classtype priority metadata reference
 * flow filemd5 filesha1 filesha256 (negation with '!'); a rule with any other
 * keyword is rejected with file:line and the reason. The header's addresses
 * and ports are not checked (the file already belongs to a flow).
 * A list path is relative to default-rule-path, else to the rule's file.
 * Immutable after load; any thread may match.
 */
#ifndef CANH_FSCAN_HASHLIST_H
#define CANH_FSCAN_HASHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filescan/file_track.h"

struct fscan_hashlist;

struct fscan_hashlist_stats {
    size_t rules, rules_failed, lists, hashes, bad_lines;
};

/* What matched (strings borrowed from the set). */
struct fscan_hashlist_rule {
    uint32_t gid, sid, rev;
    int priority;
    const char *msg, *classtype, *metadata;
};

/* Load the file-hash rules of the given rule files. rule_dir may be NULL.
 * Problems are logged and counted; NULL only on no memory. */
struct fscan_hashlist *fscan_hashlist_load(const char *const *files, size_t n,
                                           const char *rule_dir,
                                           struct fscan_hashlist_stats *st);
void fscan_hashlist_free(struct fscan_hashlist *h);
size_t fscan_hashlist_rule_count(const struct fscan_hashlist *h);

/* The digests the loaded rules compare (FILE_HASH_* bits of file_track.h). */
unsigned fscan_hashlist_digests(const struct fscan_hashlist *h);

/* Calls cb for every rule the finished file matches (a file without hashes
 * matches nothing). Returns how many matched. */
typedef void (*fscan_hashlist_fn)(void *arg, const struct fscan_hashlist_rule *r);
int fscan_hashlist_match(const struct fscan_hashlist *h, const struct file_info *fi,
                         fscan_hashlist_fn cb, void *arg);

/* True when a rule line uses a file-hash keyword (for the packet engine). */
bool fscan_hashlist_is_file_rule(const char *line);

#endif
