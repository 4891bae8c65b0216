/* file_track: the files of one worker (HTTP request and response bodies),
 * fed chunk by chunk by the app layer, hashed incrementally (MD5, SHA-1,
 * SHA-256 through OpenSSL EVP; MD5 and SHA-1 only when asked for) and, when
 * a consumer needs them (YARA, file-store), kept in memory.
 *
 * Limits: a file keeps and hashes at most max_file_size bytes (beyond that
 * it is TRUNCATED and its hashes are not reported); all kept content of
 * every worker counts against one shared memcap (struct file_memcap). When
 * the memcap is full a file drops its content (still hashed, not scanned or
 * stored) and the drop is counted. File slots and digest contexts come from
 * a pool made in file_track_new(): opening a file never allocates; content
 * grows geometrically, so a file allocates O(log size) times, never per chunk.
 * Not thread-safe: one tracker per worker. The memcap is shared (atomics).
 */
#ifndef CANH_FILE_TRACK_H
#define CANH_FILE_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum file_state {
    FILE_STATE_OPEN = 0,
    FILE_STATE_CLOSED,     /* every byte seen */
    FILE_STATE_TRUNCATED,  /* size limit, gap or the transaction ended early */
    FILE_STATE_ERROR,
};

/* Digests a tracker computes (struct file_track_cfg.hashes, file_info.hashes). */
#define FILE_HASH_MD5    0x1u
#define FILE_HASH_SHA1   0x2u
#define FILE_HASH_SHA256 0x4u

#define FILE_NAME_MAX 256
#define FILE_HEAD_MAX 2048   /* first bytes kept inline, for libmagic when content is dropped */

/* A finished file: plain data handed to the scan pool and the EVE writer. */
struct file_info {
    char name[FILE_NAME_MAX];   /* raw bytes from the wire (escaped on output) */
    size_t name_len;
    uint64_t tx_id;
    int dir;                    /* 0 toserver (request body), 1 toclient */
    uint64_t size;              /* bytes seen (also past the limit) */
    enum file_state state;
    bool hashed;                /* the digests in `hashes` cover all `size` bytes */
    uint8_t hashes;             /* FILE_HASH_* computed (the others are zero) */
    uint8_t md5[16], sha1[20], sha256[32];
    uint8_t head[FILE_HEAD_MAX];
    size_t head_len;
    uint8_t *data;              /* content, owned (file_info_fini frees it) */
    size_t data_len, data_cap;  /* data_cap counts against the memcap */
    bool data_complete;         /* data holds every byte of the file */
    bool stored;                /* written by file-store */
    char magic[128];            /* "" until computed */
    char url[512], host[256];   /* HTTP request target and Host, "" when unknown */
};

struct file_memcap;
struct file_tracker;
struct file_obj;

struct file_track_cfg {
    uint64_t max_file_size;     /* bytes kept and hashed per file; > 0 */
    uint32_t max_open;          /* open files per worker */
    unsigned hashes;            /* FILE_HASH_* to compute; SHA-256 is always added */
    bool keep_content;          /* keep the bytes (YARA, file-store); else hash only */
};

struct file_track_stats {
    uint64_t opened, closed, truncated, open_fail;  /* open_fail: no free slot */
    uint64_t memcap_drops;      /* files whose content was dropped (memcap) */
    uint64_t bytes;             /* body bytes seen */
};

/* The sensor-wide cap on kept content, shared by every tracker and by the
 * scan threads that release content. NULL on no memory. */
struct file_memcap *file_memcap_new(uint64_t cap);
void file_memcap_free(struct file_memcap *m);
uint64_t file_memcap_used(const struct file_memcap *m);
/* Reserve n bytes; false when that would pass the cap (any thread). */
bool file_memcap_take(struct file_memcap *m, uint64_t n);
/* Give back n bytes taken by a file's content (any thread). */
void file_memcap_release(struct file_memcap *m, uint64_t n);

/* NULL on bad config or no memory (logged). */
struct file_tracker *file_track_new(const struct file_track_cfg *cfg, struct file_memcap *mem);
/* Closes nothing: files still open are discarded. Accepts NULL. */
void file_track_free(struct file_tracker *t);
const struct file_track_stats *file_track_stats(const struct file_tracker *t);
uint32_t file_track_open_count(const struct file_tracker *t);

/* A new file. name may be NULL. NULL when every slot is in use (counted). */
struct file_obj *file_track_open(struct file_tracker *t, uint64_t tx_id, int dir,
                                 const char *name, size_t name_len);
/* HTTP context for the fileinfo event (either may be NULL; truncated to fit). */
void file_track_set_http(struct file_obj *fo, const char *url, size_t url_len, const char *host,
                         size_t host_len);
/* Body bytes in order. Bytes past max_file_size are counted in size only. */
void file_track_append(struct file_tracker *t, struct file_obj *fo, const uint8_t *data,
                       size_t len);
/* Finish fo (truncated: the body did not end normally) and move the result
 * into *out: the caller owns out->data (file_info_fini). fo is invalid after. */
void file_track_close(struct file_tracker *t, struct file_obj *fo, bool truncated,
                      struct file_info *out);

/* Free the content of a result and give its bytes back to mem (NULL: none). */
void file_info_fini(struct file_info *fi, struct file_memcap *mem);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void file_hex(const uint8_t *b, size_t n, char *out);
const char *file_state_name(enum file_state s);

#endif
