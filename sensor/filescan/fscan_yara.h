/* fscan_yara: the YARA glue (libyara 4.2.3). Compiles rule files once into
 * an immutable rule set, and scans buffers with one scanner per thread.
 *
 * A rule that does not compile is reported as "file:line: rule: reason" and
 * the others still load: each file is first tried in a scratch compiler;
 * when it fails, the rule blocks holding the error lines are blanked (line
 * numbers kept) and the file is retried, so one broken rule costs only
 * itself. Only files (or their remains) that compiled reach the real
 * compiler, which YARA leaves unusable after any error.
 * Rule sets are reference counted so a reload (SIGHUP) can swap them while
 * scans using the old set finish. Nothing here runs on the packet path.
 *
 * A set may hold a second compiled rule set for stream heads (the first
 * bytes of a TCP direction): the same sources with their includes expanded
 * and their `import` statements left out, so the rules whose conditions
 * need a module (pe, math, hash...) do not compile into it and are dropped
 * quietly (they were reported, if broken, by the file set). A head is no
 * file a module understands (it starts with a request line, a banner...),
 * and every scan of a set that imports modules pays their set-up (~0.3 ms
 * with `pe`), far more than scanning 4 KB. A dropped global rule drops its
 * whole namespace, so the head set never matches more widely than the file
 * set would.
 */
#ifndef CANH_FSCAN_YARA_H
#define CANH_FSCAN_YARA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jb.h"

struct fscan_yara;
struct fscan_yara_scanner;

/* The gid of YARA alerts (sid: the rule's meta "sid" when an integer, else
 * a stable hash of namespace:rule in 1..2^31). */
#define FSCAN_YARA_GID 2000

struct fscan_yara_load_stats {
    size_t files;          /* files given (directories expanded) */
    size_t files_failed;   /* files of which nothing could be loaded */
    size_t rules_failed;   /* rule blocks skipped for errors */
    size_t rules;          /* rules in the set */
    size_t warnings;
    /* the stream-head set (fscan_yara_load_sets with heads) */
    bool heads;            /* built */
    size_t head_rules;     /* rules in it (the others need a module) */
    char modules[128];     /* modules the sources import, "pe, math" ("" when none) */
};

/* Compile paths (files, or directories searched for *.yar / *.yara, sorted).
 * Errors are logged (file:line: reason) and counted in st (may be NULL).
 * Returns a set (possibly with 0 rules), or NULL on no memory or when YARA
 * cannot start. The caller holds one reference. */
struct fscan_yara *fscan_yara_load(const char *const *paths, size_t n,
                                   struct fscan_yara_load_stats *st);
/* The same; heads: also build the stream-head set from the files (and the
 * rules) that compiled into the file set. Errors of the head set are not
 * logged: only its rule count and the modules left out reach st. */
struct fscan_yara *fscan_yara_load_sets(const char *const *paths, size_t n, bool heads,
                                        struct fscan_yara_load_stats *st);
void fscan_yara_ref(struct fscan_yara *y);
/* Drop a reference; the last one frees. NULL is fine. */
void fscan_yara_unref(struct fscan_yara *y);
size_t fscan_yara_rule_count(const struct fscan_yara *y);
/* Rules in the stream-head set (0 when it was not built). */
size_t fscan_yara_head_rule_count(const struct fscan_yara *y);

/* A scan result: matching rules (borrowed from the set that produced it). */
#define FSCAN_YARA_MAX_MATCHES 16
struct fscan_yara_result {
    int n;                        /* matches kept (at most MAX) */
    int more;                     /* matches beyond MAX, not kept */
    bool timeout, error;
    const void *rule[FSCAN_YARA_MAX_MATCHES];
};

/* One per thread; holds a reference to y. timeout_s: per scan (0: none). */
struct fscan_yara_scanner *fscan_yara_scanner_new(struct fscan_yara *y, int timeout_s);
void fscan_yara_scanner_free(struct fscan_yara_scanner *s);
struct fscan_yara *fscan_yara_scanner_rules(const struct fscan_yara_scanner *s);
/* Scan len bytes. 0, or -1 on error/timeout (flagged in out; matches found
 * before a timeout are kept). */
int fscan_yara_scan(struct fscan_yara_scanner *s, const uint8_t *data, size_t len,
                    struct fscan_yara_result *out);
/* The same with the stream-head set (no match, 0, when it is empty). */
int fscan_yara_scan_head(struct fscan_yara_scanner *s, const uint8_t *data, size_t len,
                         struct fscan_yara_result *out);

/* About a matched rule (valid while its set lives). */
const char *fscan_yara_rule_name(const void *rule);
const char *fscan_yara_rule_ns(const void *rule);
uint32_t fscan_yara_rule_sid(const void *rule);
/* A 64-bit hash of namespace:rule: the same rule in the file and the head
 * set, and across reloads, has the same key (never 0). */
uint64_t fscan_yara_rule_key(const void *rule);
/* Severity 1 (high)..4 from meta "severity" (1-4, or high/medium/low/info)
 * or "score" (0-100: >=75 -> 1, >=50 -> 2, else 3); 2 when absent. */
int fscan_yara_rule_severity(const void *rule);
/* Meta "description" (or "desc"), NULL when absent. */
const char *fscan_yara_rule_description(const void *rule);
/* {"rule":..,"namespace":..,"tags":[..],"meta":{..}} as an array element. */
void fscan_yara_rule_json(const void *rule, struct jb *j);

#endif
